// `microvm image prune`: remove blobs and unpacked root file systems that no image name
// references any more, and leftovers of interrupted pulls.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "base/error.hpp"

namespace microvm::cli {

std::function<Result<int>()> add_image_command(CLI::App& app);

} // namespace microvm::cli
