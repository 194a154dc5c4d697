#include "guest/syscalls.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "base/fd.hpp"

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
    base::Fd dir(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir) {
        return fail_errno("open /");
    }
    std::string walked;
    std::size_t begin = 1;
    while (begin <= path.size()) {
        std::size_t end = path.find('/', begin);
        if (end == std::string::npos) {
            end = path.size();
        }
        std::string const name = path.substr(begin, end - begin);
        begin = end + 1;
        if (name.empty() || name == ".") {
            continue;
        }
        if (name == "..") {
            return fail("mount point " + path + " contains \"..\"");
        }
        walked += "/" + name;
        if (::mkdirat(dir.get(), name.c_str(), mode) != 0 && errno != EEXIST) {
            return fail_errno("mkdir " + walked);
        }
        // O_NOFOLLOW on every component: the image decides what these paths contain, and a
        // symlink here could point a mount at a place outside the image's root.
        base::Fd next(
            ::openat(dir.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!next) {
            int const error = errno;
            struct stat st {};
            if (::fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                S_ISLNK(st.st_mode)) {
                return fail("mount point " + path + ": " + walked +
                            " is a symbolic link; refusing to follow it");
            }
            return fail_errno("open " + walked, error);
        }
        dir = std::move(next);
    }
    return {};
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
