// The VM's writable root: an overlay of the immutable root (lower) and the VM's own layer
// (upper), mounted in the runner's private mount namespace so that nobody else sees it and it
// vanishes with the runner, however the runner ends.
#pragma once

#include <string>
#include <string_view>

#include "base/error.hpp"

namespace microvm::runner::qemu {

// Moves the runner into a mount namespace of its own whose mounts propagate nowhere.
// Children started afterwards (the daemons) inherit it.
Result<void> enter_private_mount_namespace();

// The overlay mount data, with ',', ':' and '\' escaped as overlayfs requires.
std::string overlay_mount_options(std::string_view lower, std::string_view upper,
                                  std::string_view work);

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

} // namespace microvm::runner::qemu
