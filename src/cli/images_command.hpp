// `microvm images [--format table|json]`: the images in the local store.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "base/error.hpp"

namespace microvm::cli {

std::function<Result<int>()> add_images_command(CLI::App& app);

} // namespace microvm::cli
