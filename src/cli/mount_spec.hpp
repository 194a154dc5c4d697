// The command line's share syntax: `-v HOST:GUEST[:OPTIONS]`, OPTIONS a comma-separated list of
// ro|rw, suid|nosuid, dev|nodev (podman's), and
// `--mount type=virtiofs,source=HOST,target=GUEST[,readonly][,suid][,dev][,tag=TAG]`.
#pragma once

#include <string_view>
#include <vector>

#include <microvm/options.hpp>

#include "base/error.hpp"

namespace microvm::cli {

// Parses one -v value. The host path is made absolute against the current directory; its
// existence is checked later by validate(RunOptions). The tag is left empty for
// assign_tags().
Result<VirtioFSMount> parse_volume(std::string_view spec);

// Parses one --mount value (docker's key=value list). Only type=virtiofs is accepted.
Result<VirtioFSMount> parse_mount(std::string_view spec);

// Gives every mount without a tag one derived from its guest path ("/src/app" -> "src-app"),
// unique among all the mounts' tags.
void assign_tags(std::vector<VirtioFSMount>& mounts);

} // namespace microvm::cli
