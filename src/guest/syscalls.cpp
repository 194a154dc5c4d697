#include "guest/syscalls.hpp"

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "base/fd.hpp"
#include "base/safe_file.hpp"

namespace microvm::guest {

Result<void> LinuxSyscalls::mount(std::string const& source, std::string const& target,
                                  std::string const& fstype, unsigned long flags,
                                  std::string const& data) {
    if (::mount(source.c_str(), target.c_str(), fstype.empty() ? nullptr : fstype.c_str(), flags,
                data.empty() ? nullptr : data.c_str()) != 0) {
        return fail_errno("mount(" + (fstype.empty() ? std::string("move") : fstype) + ") " +
                          source + " on " + target);
    }
    return {};
}

Result<void> LinuxSyscalls::umount2(std::string const& target, int flags) {
    if (::umount2(target.c_str(), flags) != 0) {
        return fail_errno("umount2 " + target);
    }
    return {};
}

Result<void> LinuxSyscalls::make_directories(std::string const& path, mode_t mode) {
    if (path.empty() || path.front() != '/') {
        return fail("mount point " + path + " is not an absolute path");
    }
    // The safe-file layer walks one component at a time below "/" and refuses every symlink,
    // so a mount point the image redirected is never created or mounted elsewhere.
    base::Fd const root = TRY(base::open_root("/"));
    return base::mkdirs_no_follow(root, path, mode);
}

Result<void> LinuxSyscalls::chown(std::string const& path, uid_t uid, gid_t gid) {
    if (::chown(path.c_str(), uid, gid) != 0) {
        return fail_errno("chown " + path);
    }
    return {};
}

Result<void> LinuxSyscalls::symlink(std::string const& target, std::string const& link_path) {
    if (::symlink(target.c_str(), link_path.c_str()) != 0) {
        return fail_errno("symlink " + link_path + " -> " + target);
    }
    return {};
}

Result<void> LinuxSyscalls::unlink(std::string const& path) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        return fail_errno("unlink " + path);
    }
    return {};
}

Result<void> LinuxSyscalls::chdir(std::string const& path) {
    if (::chdir(path.c_str()) != 0) {
        return fail_errno("chdir " + path);
    }
    return {};
}

Result<void> LinuxSyscalls::chroot(std::string const& path) {
    if (::chroot(path.c_str()) != 0) {
        return fail_errno("chroot " + path);
    }
    return {};
}

void LinuxSyscalls::sleep(std::chrono::milliseconds duration) {
    std::this_thread::sleep_for(duration);
}

} // namespace microvm::guest
