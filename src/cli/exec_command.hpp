// `microvm exec [-i] [-t] [-d] [-e KEY=VALUE]... [-w DIR] [-u USER[:GROUP]] NAME CMD [ARG...]`:
// runs a command in a running VM (podman's conventions; exit status the command's, 125 for
// microvm's own failures).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/error.hpp"

namespace microvm::cli {

// `command` is what follows the VM's name on the command line: main() splits it off before
// CLI11 parses, as for `run`, so that the command's own options are not taken for exec's.
std::function<Result<int>()> add_exec_command(CLI::App& app,
                                              std::shared_ptr<std::vector<std::string>> command);

} // namespace microvm::cli
