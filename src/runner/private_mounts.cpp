#include "runner/private_mounts.hpp"

#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "base/overlay_options.hpp"

namespace microvm::runner {

Result<void> enter_private_mount_namespace() {
    if (::unshare(CLONE_NEWNS) != 0) {
        return fail_errno("unshare(CLONE_NEWNS)");
    }
    // systemd makes / shared; without this our mounts would propagate to the host's peers.
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
        return fail_errno("make / private (MS_REC|MS_PRIVATE)");
    }
    return {};
}

Result<void> mount_overlay(std::string const& lower, std::string const& upper,
                           std::string const& work, std::string const& target) {
    std::string const options = base::overlay_options(lower, upper, work);
    if (::mount("overlay", target.c_str(), "overlay", 0, options.c_str()) != 0) {
        return fail_errno("mount overlay (" + options + ") on " + target);
    }
    return {};
}

Result<OverlayMount> OverlayMount::mount(std::string const& lower, std::string const& upper,
                                         std::string const& work, std::string mountpoint) {
    if (::mkdir(mountpoint.c_str(), 0700) != 0) {
        return fail_errno("mkdir " + mountpoint);
    }
    if (auto mounted = mount_overlay(lower, upper, work, mountpoint); !mounted) {
        ::rmdir(mountpoint.c_str());
        return std::unexpected(std::move(mounted.error()));
    }
    return OverlayMount(std::move(mountpoint));
}

OverlayMount::OverlayMount(OverlayMount&& other) noexcept
    : m_mountpoint(std::exchange(other.m_mountpoint, std::string())) {}

OverlayMount::~OverlayMount() {
    unmount();
}

bool OverlayMount::unmount() noexcept {
    if (m_mountpoint.empty()) {
        return true;
    }
    if (::umount2(m_mountpoint.c_str(), MNT_DETACH) != 0) {
        std::fprintf(stderr, "microvm-runner: unmount the root overlay %s: %s\n",
                     m_mountpoint.c_str(), ::strerror(errno));
        return false;
    }
    ::rmdir(m_mountpoint.c_str());
    m_mountpoint.clear();
    return true;
}

} // namespace microvm::runner
