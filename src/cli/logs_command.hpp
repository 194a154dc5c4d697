// `microvm logs [-f] [--console] NAME`: what a VM's workload (or its guest console) printed.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "base/error.hpp"

namespace microvm::cli {

std::function<Result<int>()> add_logs_command(CLI::App& app);

} // namespace microvm::cli
