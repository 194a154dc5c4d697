#include "guest/mounts.hpp"

#include <sys/mount.h>

#include <algorithm>
#include <cerrno>

namespace microvm::guest {

std::vector<MountSpec> essential_mounts(std::uint32_t tmp_size_mib) {
    std::uint32_t const tmp = tmp_size_mib == 0 ? default_tmp_size_mib : tmp_size_mib;
    return {
        {"proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, ""},
        {"sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, ""},
        // No MS_NODEV: device nodes are what /dev is for.
        {"devtmpfs", "/dev", "devtmpfs", MS_NOSUID | MS_NOEXEC, ""},
        // A private instance, so that the guest's ptys are not shared with the initramfs';
        // gid 5 is "tty" in Debian, Alpine and busybox images.
        {"devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
         "newinstance,ptmxmode=0666,mode=0620,gid=5"},
        {"shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777"},
        {"tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=" + std::to_string(tmp) + "m"},
        {"tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=64m,mode=0755"},
    };
}

std::vector<MountSpec> initramfs_mounts() {
    auto plan = essential_mounts(0);
    plan.resize(3);
    // /dev first: a console for init's messages if the kernel could not open one.
    std::rotate(plan.begin(), plan.begin() + 2, plan.end());
    return plan;
}

Result<void> mount_all(Syscalls& sys, std::string const& root, std::vector<MountSpec> const& plan) {
    for (MountSpec spec : plan) {
        spec.target = root + spec.target;
        TRY(sys.make_directories(spec.target, 0755));
        auto mounted = sys.mount(spec.source, spec.target, spec.fstype, spec.flags, spec.data);
        if (!mounted && mounted.error().errno_value() != EBUSY) {
            return std::unexpected(std::move(mounted.error()));
        }
    }
    return {};
}

Result<void> mount_essentials(Syscalls& sys, std::string const& root,
                              std::vector<MountSpec> const& plan) {
    TRY(mount_all(sys, root, plan));
    // devtmpfs has its own /dev/ptmx, which would hand out ptys of the wrong devpts instance.
    TRY(sys.unlink(root + "/dev/ptmx"));
    TRY(sys.symlink("pts/ptmx", root + "/dev/ptmx"));
    // Links that udev or systemd would make; existing ones are kept.
    struct Link {
        char const* target;
        char const* path;
    };
    for (Link link :
         {Link{"/proc/self/fd", "/dev/fd"}, Link{"/proc/self/fd/0", "/dev/stdin"},
          Link{"/proc/self/fd/1", "/dev/stdout"}, Link{"/proc/self/fd/2", "/dev/stderr"}}) {
        auto made = sys.symlink(link.target, root + link.path);
        if (!made && made.error().errno_value() != EEXIST) {
            return std::unexpected(std::move(made.error()));
        }
    }
    return {};
}

Result<void> mount_with_retries(Syscalls& sys, MountSpec const& spec, RetryPolicy policy) {
    Result<void> mounted = fail("no mount attempt was made");
    for (int attempt = 1; attempt <= policy.attempts; ++attempt) {
        mounted = sys.mount(spec.source, spec.target, spec.fstype, spec.flags, spec.data);
        if (mounted) {
            return {};
        }
        if (attempt < policy.attempts) {
            sys.sleep(policy.delay);
        }
    }
    return mounted;
}

Result<void> switch_root(Syscalls& sys, std::string const& new_root) {
    TRY_CTX(sys.chdir(new_root), "switch root");
    TRY_CTX(sys.mount(".", "/", "", MS_MOVE, ""), "switch root");
    TRY_CTX(sys.chroot("."), "switch root");
    TRY_CTX(sys.chdir("/"), "switch root");
    return {};
}

} // namespace microvm::guest
