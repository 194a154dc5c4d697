#include "host/image/unpack/metadata.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <cerrno>

#include "base/sys.hpp"
#include "base/sys_tree.hpp"

namespace microvm::image {

namespace {

struct timespec time_of(time_t seconds, long nanoseconds) {
    struct timespec ts {};
    ts.tv_sec = seconds;
    ts.tv_nsec = nanoseconds >= 0 && nanoseconds < 1'000'000'000 ? nanoseconds : 0;
    return ts;
}

bool owner_refused(int error) {
    return error == EINVAL || error == EPERM;
}

} // namespace

EntryMetadata metadata_of(archive_entry* entry) {
    EntryMetadata meta;
    meta.uid = static_cast<uid_t>(archive_entry_uid(entry));
    meta.gid = static_cast<gid_t>(archive_entry_gid(entry));
    meta.mode = archive_entry_perm(entry) & 07777;
    meta.mtime = time_of(archive_entry_mtime(entry), archive_entry_mtime_nsec(entry));
    meta.atime = archive_entry_atime_is_set(entry) != 0
                     ? time_of(archive_entry_atime(entry), archive_entry_atime_nsec(entry))
                     : meta.mtime;
    archive_entry_xattr_reset(entry);
    char const* name = nullptr;
    void const* value = nullptr;
    std::size_t size = 0;
    while (archive_entry_xattr_next(entry, &name, &value, &size) == ARCHIVE_OK) {
        if (name != nullptr && keep_xattr(name)) {
            meta.xattrs.emplace_back(name, std::string(static_cast<char const*>(value), size));
        }
    }
    return meta;
}

bool keep_xattr(std::string_view name) {
    if (name.starts_with("user.")) {
        return !name.starts_with("user.overlay.");
    }
    return name == "security.capability";
}

Result<void> apply_metadata(int fd, EntryMetadata const& meta, Ownership ownership,
                            std::string_view what, bool apply_mode) {
    mode_t mode = meta.mode;
    if (ownership == Ownership::keep) {
        if (auto owned = base::sys::fchown(fd, meta.uid, meta.gid, what); !owned) {
            if (!owner_refused(owned.error().errno_value())) {
                return owned;
            }
            mode &= ~(S_ISUID | S_ISGID);
        }
    }
    if (apply_mode) {
        TRY(base::sys::fchmod(fd, mode, what));
    }
    for (auto const& [name, value] : meta.xattrs) {
        auto set = base::sys::fsetxattr(fd, name, value.data(), value.size(), what);
        if (!set) {
            int const error = set.error().errno_value();
            bool const unsupported =
                error == ENOTSUP || (error == EPERM && name.starts_with("security."));
            if (!unsupported) {
                return set;
            }
        }
    }
    if (apply_mode) {
        struct timespec const times[2] = {meta.atime, meta.mtime};
        TRY(base::sys::futimens(fd, times, what));
    }
    return {};
}

Result<void> apply_symlink_metadata(int dirfd, std::string const& name, EntryMetadata const& meta,
                                    Ownership ownership) {
    if (ownership == Ownership::keep) {
        if (auto owned = base::sys::lchownat(dirfd, name, meta.uid, meta.gid); !owned) {
            if (!owner_refused(owned.error().errno_value())) {
                return owned;
            }
        }
    }
    struct timespec const times[2] = {meta.atime, meta.mtime};
    return base::sys::lutimensat(dirfd, name, times);
}

} // namespace microvm::image
