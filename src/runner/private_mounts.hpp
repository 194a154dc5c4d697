// Mounts that only the runner and the VMM it hosts may see: made in a mount namespace of the
// runner's own, so they never appear on the host and vanish with the runner however it ends.
// Both engines mount the VM's writable root this way: libkrun over the root itself (no unmount
// needed, which matters there: krun_start_enter ends the process without running destructors),
// qemu on a mountpoint it owns (OverlayMount) inside its runtime directory.
#pragma once

#include <string>
#include <string_view>

#include "base/error.hpp"

namespace microvm::runner {

// unshare(CLONE_NEWNS), then makes every mount private so nothing mounted afterwards
// propagates back to the host. Children started afterwards (qemu's daemons) inherit the
// namespace. Needs CAP_SYS_ADMIN.
Result<void> enter_private_mount_namespace();

// Mounts overlay(lower, upper, work) on `target`, an existing directory (which may be `lower`
// itself: overlayfs resolves its layers before the mount covers them).
Result<void> mount_overlay(std::string const& lower, std::string const& upper,
                           std::string const& work, std::string const& target);

// An overlay mounted on a directory this object created; unmounted and removed on destruction.
class OverlayMount {
public:
    // Creates `mountpoint` (which must not exist) and mounts the overlay there.
    static Result<OverlayMount> mount(std::string const& lower, std::string const& upper,
                                      std::string const& work, std::string mountpoint);

    OverlayMount(OverlayMount&& other) noexcept;
    OverlayMount& operator=(OverlayMount&&) = delete;
    OverlayMount(OverlayMount const&) = delete;
    OverlayMount& operator=(OverlayMount const&) = delete;
    ~OverlayMount();

    std::string const& path() const { return m_mountpoint; }

    // Detaches the mount and removes the mountpoint. False, with the reason logged, when the
    // mount could not be detached: the caller must then not delete anything above it, or it
    // would delete the VM's files through the mount.
    bool unmount() noexcept;

private:
    explicit OverlayMount(std::string mountpoint) : m_mountpoint(std::move(mountpoint)) {}

    std::string m_mountpoint;
};

} // namespace microvm::runner
