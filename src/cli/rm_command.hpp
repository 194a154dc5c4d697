// `microvm rm [-f] NAME...`: delete VMs: their directory, writable layer, state and logs.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "base/error.hpp"

namespace microvm::cli {

std::function<Result<int>()> add_rm_command(CLI::App& app);

} // namespace microvm::cli
