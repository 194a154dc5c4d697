// The per-VM writable view of an immutable root file system.
//
// The source rootfs (an unpacked image in the cache, or --rootfs DIR) is never written. Each
// VM gets <vm_dir>/rootfs/upper and <vm_dir>/rootfs/work; the runner mounts an overlay
// (lower = source, upper, work) in its private mount namespace (runner.json root_upper_dir /
// root_work_dir), so the mount never appears on the host and vanishes with the runner. What
// the guest creates, changes or deletes lands in the upper directory (deletions as overlayfs
// whiteouts), and two VMs on one source never see each other's writes.
#pragma once

#include <filesystem>

#include "base/error.hpp"
#include "host/hypervisor/vm_config.hpp"

namespace microvm::rootfs {

// Creates <vm_dir>/rootfs (0700), its upper directory and its work directory, and returns
// the view {absolute source, upper, work}. An existing view of the same VM is reused as is,
// so a restarted VM keeps its writes. `vm_dir` must exist.
// The upper directory becomes the root directory the guest sees, so it takes the source
// root's mode and owner; the work directory is overlayfs's private scratch space (0700).
// Fails when the source is not a directory, when a path cannot be an overlayfs mount
// option (it contains ',', ':' or '\\', which the option string cannot carry), or when an
// existing upper or work path is not a directory.
Result<hypervisor::RootfsView> create_view(std::filesystem::path const& source,
                                           std::filesystem::path const& vm_dir);

} // namespace microvm::rootfs
