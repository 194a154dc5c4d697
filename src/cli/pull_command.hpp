// `microvm pull IMAGE [--platform os/arch]`: bring an image into the store, refreshing its tag,
// and unpack its root file system into the cache.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "base/error.hpp"

namespace microvm::cli {

std::function<Result<int>()> add_pull_command(CLI::App& app);

} // namespace microvm::cli
