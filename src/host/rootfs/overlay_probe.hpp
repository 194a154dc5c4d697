// Whether this process can mount the overlay a rootfs view describes.
#pragma once

#include <filesystem>
#include <string>

#include "base/error.hpp"
#include "host/rootfs/rootfs_view.hpp"

namespace microvm::rootfs {

// Makes the view's overlay (lower = source, upper, work) once without attaching it anywhere
// (fsopen()/fsconfig(); for paths with a comma, a mount in a forked child inside a private mount
// namespace), so nothing is ever mounted on the host; the runner, started by this process with
// the same privileges, will then be able to mount it. Fails with the mount's
// errno when it cannot: no privilege (EPERM), an upper directory on a file system overlayfs
// cannot write to (EINVAL, e.g. an overlayfs root in a container), no overlayfs (ENODEV).
// `mountpoint` must be an existing directory; the view's directories must exist.
Result<void> probe_overlay(RootfsView const& view, std::filesystem::path const& mountpoint);

// The overlayfs mount options for a view, with ',', ':' and '\\' in paths escaped as
// overlayfs expects (the runner builds the same string for the real mount).
std::string overlay_options(RootfsView const& view);

} // namespace microvm::rootfs
