// The VM's writable layer at a fixed size (RunOptions::disk_size): the overlay's upper and work
// directories move into an ext4 image of that size, which the runner mounts in its private
// namespace (contract runner.json root_disk_image). The image is a sparse file: the host pays
// for what the guest wrote, never more than the size, and the guest gets ENOSPC at the cap.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

#include "base/error.hpp"
#include "host/rootfs/rootfs_view.hpp"

namespace microvm::rootfs {

// Moves `view`'s layer into an image of `size` bytes at `image` (which must not exist): made
// with mkfs.ext4 from the layer's directory (so what hooks and the guest config put in the
// upper directory is in it), after which the host directories are left empty, as mountpoints.
// Fails, removing the image, when the view is a copy (no layer to move), when the host has no
// loop devices to mount it with, or when mkfs.ext4 is missing or fails.
Result<void> move_layer_to_disk(RootfsView const& view, std::filesystem::path const& image,
                                std::uint64_t size);

// Why a disk cannot be used for `view` on this host (no overlay layer, no loop device), or
// nullopt when it can. Checked before anything is made, so that a default size can be given up
// with a warning while an explicit one fails.
std::optional<std::string> layer_disk_unavailable(RootfsView const& view);

// How many bytes of the host's disk `image` takes (its allocated blocks).
std::optional<std::uint64_t> disk_usage(std::filesystem::path const& image);

} // namespace microvm::rootfs
