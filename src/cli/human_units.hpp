// Sizes and ages as docker and podman print them in their tables.
#pragma once

#include <cstdint>
#include <string>

namespace microvm::cli {

// "1.5GB", "12.3MB", "512kB", "17B": SI units, as docker prints sizes.
std::string human_size(std::uint64_t bytes);

// How long ago `rfc3339` was, relative to `now` (seconds since the epoch): "5 seconds ago",
// "3 hours ago", "2 weeks ago"; "N/A" when it does not parse.
std::string human_age(std::string const& rfc3339, std::int64_t now);

} // namespace microvm::cli
