// Rules for shares that every process checks the same way.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace microvm::contract {

// virtio-fs carries the tag in a 36-byte field of the device's config space.
inline constexpr std::size_t max_tag_length = 36;

// A tag is 1..36 bytes of [A-Za-z0-9._-]; anything else cannot be carried (or would be
// ambiguous on the kernel command line and in mount tables). contract::root_share_tag is the
// VM's own root and never a user share's.
Result<void> validate_tag(std::string_view tag);

// A guest mount point is absolute, not "/", has no "." or ".." component, and is not under
// /proc, /sys or /dev (mounting there would hide or replace kernel interfaces).
Result<void> validate_guest_path(std::string_view path);

// The warning the runner prints (DESIGN.md §4.1) when the caller allowed guest-only enforcement
// and `engine` ("qemu", "libkrun") cannot enforce read-only share `tag` on the host. Printed,
// never parsed: the host learns which shares are host-enforced from the runner's report.
std::string guest_only_warning(std::string_view tag, std::string_view engine);

} // namespace microvm::contract
