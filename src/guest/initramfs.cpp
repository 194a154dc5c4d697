#include "guest/initramfs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "base/fd.hpp"

namespace microvm::guest {

Result<void> remove_contents_on_device(int dir, dev_t device) {
    // fdopendir takes over the descriptor it is given, so it gets a duplicate.
    int const copy = ::fcntl(dir, F_DUPFD_CLOEXEC, 0);
    if (copy < 0) {
        return fail_errno("dup");
    }
    DIR* stream = ::fdopendir(copy);
    if (stream == nullptr) {
        ::close(copy);
        return fail_errno("fdopendir");
    }
    // Names first, deletions after: deleting while reading a directory may skip entries.
    std::vector<std::string> names;
    while (dirent const* entry = ::readdir(stream)) {
        std::string name = entry->d_name;
        if (name != "." && name != "..") {
            names.push_back(std::move(name));
        }
    }
    ::closedir(stream);

    Result<void> first = {};
    auto keep_first = [&first](Result<void> result) {
        if (!result && first) {
            first = std::move(result);
        }
    };
    for (auto const& name : names) {
        struct stat st {};
        if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
            keep_first(fail_errno("stat " + name));
            continue;
        }
        if (st.st_dev != device) {
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            base::Fd sub(
                ::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (!sub) {
                keep_first(fail_errno("open " + name));
                continue;
            }
            keep_first(remove_contents_on_device(sub.get(), device));
            if (::unlinkat(dir, name.c_str(), AT_REMOVEDIR) != 0) {
                keep_first(fail_errno("rmdir " + name));
            }
        } else if (::unlinkat(dir, name.c_str(), 0) != 0) {
            keep_first(fail_errno("unlink " + name));
        }
    }
    return first;
}

Result<void> free_initramfs() {
    if (::getpid() != 1) {
        return {};
    }
    struct statfs fs {};
    if (::statfs("/", &fs) != 0) {
        return fail_errno("statfs /");
    }
    if (fs.f_type != RAMFS_MAGIC && fs.f_type != TMPFS_MAGIC) {
        return {};
    }
    base::Fd root(::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root) {
        return fail_errno("open /");
    }
    struct stat st {};
    if (::fstat(root.get(), &st) != 0) {
        return fail_errno("stat /");
    }
    return remove_contents_on_device(root.get(), st.st_dev);
}

} // namespace microvm::guest
