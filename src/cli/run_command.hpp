// `microvm run`: boot an image or a prepared root and run a command in it.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/error.hpp"

namespace microvm::cli {

// Registers the verb on `app`; the returned action runs it once argv is parsed and yields
// the exit status. `workload` receives [IMAGE] [--] CMD [ARG...], which the caller splits off
// argv with workload_start() before CLI11 sees it.
std::function<Result<int>()> add_run_command(CLI::App& app,
                                             std::shared_ptr<std::vector<std::string>> workload);

// The index in `args` where `run`'s own options end: the first positional argument or "--",
// skipping the values of options that take one. args.size() when there is none.
std::size_t workload_start(CLI::App const& run, std::vector<std::string> const& args,
                           std::size_t first);

} // namespace microvm::cli
