// A private copy of a root file system, for hosts where the VM's view cannot be an overlay.
#pragma once

#include <filesystem>

#include "base/error.hpp"

namespace microvm::rootfs {

// Copies the tree `source` to `dest`, which must not exist; its parent must. Directories,
// regular files (hard links kept as links), symlinks (copied, never followed) and FIFOs are
// copied with their mode, owner (when permitted) and modification time; sockets and device
// nodes are skipped (an unpacked image holds none). Fails on the first entry that cannot be
// copied, naming it; the partial copy is then left for the caller to remove.
// FIXME: extended attributes (e.g. security.capability) are not copied.
Result<void> copy_tree(std::filesystem::path const& source, std::filesystem::path const& dest);

// Deeper trees are refused: each level holds two descriptors open, and no real image nests
// anywhere near this deep.
inline constexpr int max_copy_depth = 256;

} // namespace microvm::rootfs
