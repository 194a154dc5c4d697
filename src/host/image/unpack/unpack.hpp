// Unpacking an image's layers into a root file system (DESIGN.md §4.5, §5).
//
// What an unpacked root keeps and drops, and why (see tree_writer.hpp for how names are
// confined to the root, metadata.hpp for attributes, layer.hpp for entry types):
// - Modes are kept whole, setuid/setgid/sticky included: the guest needs its setuid
//   binaries. The cache directory that holds unpacked roots must be 0700, so that no other
//   host user can reach (and run) them.
// - Ownership is kept when unpacking as root, otherwise files belong to the unpacking user.
// - Extended attributes: user.* (but not user.overlay.*) and security.capability.
// - Device nodes, FIFOs and sockets are never created.
#pragma once

#include <filesystem>
#include <span>

#include "base/error.hpp"
#include "host/image/unpack/limits.hpp"

namespace microvm::image {

// Applies `layers` (paths of layer blobs, bottom layer first) to the existing, empty
// directory `root_dir`, then gives each directory its final mode and times. On failure the
// directory holds a partial tree that the caller must remove (unpack_image() does).
Result<UnpackStats> unpack_layers(std::span<std::filesystem::path const> layers,
                                  std::filesystem::path const& root_dir,
                                  UnpackLimits const& limits = {});

// Unpacks `layers` into a fresh temporary directory next to `final_dir`, makes its root
// 0755, flushes it to disk (syncfs), and publishes it by an atomic rename to `final_dir`:
// readers see no rootfs or a complete one, also after a crash. Fails when `final_dir`
// already exists, before unpacking anything (EEXIST), or when another unpacker published
// it first (EEXIST too: first writer wins, the caller can use theirs). On any failure the
// temporary directory is removed: no partial rootfs is ever left behind. The parent of
// `final_dir` must exist; the caller makes it 0700 (see above).
Result<UnpackStats> unpack_image(std::span<std::filesystem::path const> layers,
                                 std::filesystem::path const& final_dir,
                                 UnpackLimits const& limits = {});

} // namespace microvm::image
