#include "base/sys_tree.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace microvm::base::sys {

Result<void> symlinkat(std::string const& target, int dirfd, std::string const& name) {
    if (::symlinkat(target.c_str(), dirfd, name.c_str()) != 0) {
        return fail_errno("symlinkat " + name + " -> " + target);
    }
    return {};
}

Result<void> linkat(int from_dirfd, std::string const& from, int to_dirfd, std::string const& to) {
    if (::linkat(from_dirfd, from.c_str(), to_dirfd, to.c_str(), 0) != 0) {
        return fail_errno("linkat " + from + " to " + to);
    }
    return {};
}

Result<void> rename_noreplace(int from_dirfd, std::string const& from, int to_dirfd,
                              std::string const& to) {
    if (::renameat2(from_dirfd, from.c_str(), to_dirfd, to.c_str(), RENAME_NOREPLACE) != 0) {
        return fail_errno("renameat2 " + from + " to " + to);
    }
    return {};
}

Result<void> fchown(int fd, uid_t uid, gid_t gid, std::string_view what) {
    if (::fchown(fd, uid, gid) != 0) {
        return fail_errno("fchown " + std::string(what));
    }
    return {};
}

Result<void> lchownat(int dirfd, std::string const& name, uid_t uid, gid_t gid) {
    if (::fchownat(dirfd, name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0) {
        return fail_errno("fchownat " + name);
    }
    return {};
}

Result<void> fsetxattr(int fd, std::string const& name, void const* value, std::size_t size,
                       std::string_view what) {
    if (::fsetxattr(fd, name.c_str(), value, size, 0) != 0) {
        return fail_errno("fsetxattr " + std::string(what) + " " + name);
    }
    return {};
}

Result<void> futimens(int fd, struct timespec const times[2], std::string_view what) {
    if (::futimens(fd, times) != 0) {
        return fail_errno("futimens " + std::string(what));
    }
    return {};
}

Result<void> lutimensat(int dirfd, std::string const& name, struct timespec const times[2]) {
    if (::utimensat(dirfd, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
        return fail_errno("utimensat " + name);
    }
    return {};
}

Result<void> syncfs(int fd, std::string_view what) {
    if (::syncfs(fd) != 0) {
        return fail_errno("syncfs " + std::string(what));
    }
    return {};
}

Result<std::vector<std::string>> list_directory(int dirfd, std::string_view what) {
    // fdopendir takes over the descriptor it is given, so it gets a fresh one: reopening "."
    // (rather than dup) also gives it its own offset.
    int const fd = ::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return fail_errno("open directory " + std::string(what));
    }
    DIR* dir = ::fdopendir(fd);
    if (dir == nullptr) {
        int const error = errno;
        ::close(fd);
        return fail_errno("fdopendir " + std::string(what), error);
    }
    std::vector<std::string> names;
    for (;;) {
        errno = 0;
        struct dirent* entry = ::readdir(dir);
        if (entry == nullptr) {
            int const error = errno;
            ::closedir(dir);
            if (error != 0) {
                return fail_errno("readdir " + std::string(what), error);
            }
            return names;
        }
        if (std::strcmp(entry->d_name, ".") != 0 && std::strcmp(entry->d_name, "..") != 0) {
            names.emplace_back(entry->d_name);
        }
    }
}

} // namespace microvm::base::sys
