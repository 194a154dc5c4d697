// The command line's limits on what a VM may take of the host: `--disk-size SIZE` (its writable
// root) and `--log-max-size SIZE` (each of its logs). SIZE is bytes or a number with a unit,
// binary as podman reads them ("512K", "256M", "10G", "1GiB"); 0 lifts the cap.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include <microvm/options.hpp>

#include "base/error.hpp"

namespace microvm::cli {

// What the user typed, before it is checked.
struct ResourceArgs {
    std::string disk_size;
    std::string log_max_size;
};

// "256M" -> 268435456; errors quote the value.
Result<std::uint64_t> parse_size(std::string const& text);

// Registers the options on `run`, storing into `args` (which must outlive the parse).
void add_resource_options(CLI::App& run, ResourceArgs& args);

// Sets options.disk_size and options.log_max_size from `args`; errors name the flag.
Result<void> apply_resource_options(ResourceArgs const& args, RunOptions& options);

} // namespace microvm::cli
