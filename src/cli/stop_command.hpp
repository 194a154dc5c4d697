// `microvm stop [-t SECONDS] NAME...`: graceful power-off, then kill after the timeout.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "base/error.hpp"

namespace microvm::cli {

// podman's default: seconds the guest gets to power off before it is killed.
inline constexpr unsigned default_stop_timeout_seconds = 10;

std::function<Result<int>()> add_stop_command(CLI::App& app);

} // namespace microvm::cli
