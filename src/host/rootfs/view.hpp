// The per-VM writable view of an immutable root file system.
//
// The source rootfs (an unpacked image in the cache, or --rootfs DIR) is never written. Each
// VM gets <vm_dir>/rootfs/upper and <vm_dir>/rootfs/work; the runner mounts an overlay
// (lower = source, upper, work) in its private mount namespace (runner.json root_upper_dir /
// root_work_dir), so the mount never appears on the host and vanishes with the runner. What
// the guest creates, changes or deletes lands in the upper directory (deletions as overlayfs
// whiteouts), and two VMs on one source never see each other's writes.
//
// Where the overlay cannot be mounted (no privilege, or the data directory on a file system
// overlayfs cannot use as its upper layer, such as a container's overlayfs root), the VM gets
// a private copy instead: <vm_dir>/rootfs/copy, booted as a plain writable root. It costs
// the image's size in time and space, where the overlay costs one mount.
#pragma once

#include <filesystem>

#include "base/error.hpp"
#include "host/rootfs/rootfs_view.hpp"

namespace microvm::rootfs {

enum class ViewStrategy {
    // An overlay when probe_overlay() shows one can be mounted here, else a copy.
    automatic,
    // An overlay, without probing (the caller knows it works, or wants the runner to fail).
    overlay,
    // A private copy of the source.
    copy,
};

// Creates the VM's view under <vm_dir>/rootfs (0700) and returns it: {absolute source, upper,
// work} for an overlay, {the copy, empty, empty} for a copy. An existing view of the same VM
// is reused as it is, so a restarted VM keeps its writes. `vm_dir` must exist.
// An overlay's upper directory becomes the root directory the guest sees, so it takes the
// source root's mode and owner; the work directory is overlayfs's private scratch space
// (0700).
// Fails when the source is not a directory, when an existing upper or work path is not a
// directory, when the copy fails (nothing partial is left), or, with `automatic`, when an
// overlay that already holds the VM's writes can no longer be mounted.
Result<RootfsView> create_view(std::filesystem::path const& source,
                               std::filesystem::path const& vm_dir,
                               ViewStrategy strategy = ViewStrategy::automatic);

} // namespace microvm::rootfs
