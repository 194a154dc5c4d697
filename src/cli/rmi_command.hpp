// `microvm rmi IMAGE...`: remove image names from the local store. The content goes with
// `microvm image prune` (it may be shared with other images).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "base/error.hpp"

namespace microvm::cli {

std::function<Result<int>()> add_rmi_command(CLI::App& app);

} // namespace microvm::cli
