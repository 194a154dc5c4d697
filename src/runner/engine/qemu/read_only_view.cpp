#include "runner/engine/qemu/read_only_view.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace microvm::runner::qemu {

namespace {

// Runs in the forked child: system calls on strings prepared before the fork, nothing else.
base::ChildStepStatus enter_read_only_view(char const* source, char const* target) {
    if (::unshare(CLONE_NEWNS) < 0) {
        return {errno, "unshare(CLONE_NEWNS)"};
    }
    // The bind mounts below must not propagate into the runner's (or the host's) namespace.
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) {
        return {errno, "mount --make-rprivate /"};
    }
    // Recursive, so that mounts below the shared directory stay visible as they are on the host;
    // then all of them are made read-only in one call.
    if (::mount(source, target, nullptr, MS_BIND | MS_REC, nullptr) < 0) {
        return {errno, "mount --rbind"};
    }
    mount_attr attr = {};
    attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
    if (::syscall(SYS_mount_setattr, AT_FDCWD, target, AT_RECURSIVE, &attr, sizeof(attr)) == 0) {
        return base::ChildStepStatus::ok();
    }
    if (errno != ENOSYS) {
        return {errno, "mount_setattr(MOUNT_ATTR_RDONLY, AT_RECURSIVE)"};
    }
    // Kernels before 5.12 cannot change a whole tree at once, and a remount changes one mount
    // only: fall back to a non-recursive bind, so no writable submount is left behind.
    if (::umount2(target, MNT_DETACH) < 0) {
        return {errno, "umount"};
    }
    if (::mount(source, target, nullptr, MS_BIND, nullptr) < 0) {
        return {errno, "mount --bind"};
    }
    if (::mount(nullptr, target, nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV,
                nullptr) < 0) {
        return {errno, "mount -o remount,bind,ro"};
    }
    return base::ChildStepStatus::ok();
}

} // namespace

base::ChildStep read_only_view_step(ReadOnlyView const& view) {
    return [&view] {
        return enter_read_only_view(view.source.c_str(), view.target.c_str());
    };
}

Result<void> probe_read_only_view(ReadOnlyView const& view) {
    return base::run_in_child(read_only_view_step(view));
}

} // namespace microvm::runner::qemu
