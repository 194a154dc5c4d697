// `microvm run`: boot an image or a prepared root and run a command in it.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "base/error.hpp"

namespace microvm::cli {

// Registers the verb on `app`; the returned action runs it once argv is parsed and yields
// the exit status.
std::function<Result<int>()> add_run_command(CLI::App& app);

} // namespace microvm::cli
