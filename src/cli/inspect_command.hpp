// `microvm inspect NAME...`: every VM's configuration and state as a JSON array.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "base/error.hpp"

namespace microvm::cli {

std::function<Result<int>()> add_inspect_command(CLI::App& app);

} // namespace microvm::cli
