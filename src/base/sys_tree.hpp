// More thin system-call wrappers, for building and tearing down directory trees below a
// descriptor (the unpacker's needs). Same conventions as sys.hpp: each returns a Result whose
// error names the call and its object and keeps errno; descriptors come back as Fd.
//
// None of these resolves a path of more than one component the caller did not check: the
// `name` arguments are single directory entries of `dirfd`, and nothing here follows a
// symlink at the leaf.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/fd.hpp"

namespace microvm::base::sys {

// symlinkat(2): creates `name` in `dirfd` holding `target` (stored as is, never resolved).
Result<void> symlinkat(std::string const& target, int dirfd, std::string const& name);

// linkat(2) without AT_SYMLINK_FOLLOW: when `from` is a symlink the link itself is linked.
Result<void> linkat(int from_dirfd, std::string const& from, int to_dirfd, std::string const& to);

// renameat2(2) with RENAME_NOREPLACE: fails with EEXIST instead of replacing `to`.
Result<void> rename_noreplace(int from_dirfd, std::string const& from, int to_dirfd,
                              std::string const& to);

Result<void> fchown(int fd, uid_t uid, gid_t gid, std::string_view what);
// fchownat(2) with AT_SYMLINK_NOFOLLOW: a symlink's own owner is changed.
Result<void> lchownat(int dirfd, std::string const& name, uid_t uid, gid_t gid);

// fsetxattr(2) on an open descriptor.
Result<void> fsetxattr(int fd, std::string const& name, void const* value, std::size_t size,
                       std::string_view what);

Result<void> futimens(int fd, struct timespec const times[2], std::string_view what);
// utimensat(2) with AT_SYMLINK_NOFOLLOW: a symlink's own times are set.
Result<void> lutimensat(int dirfd, std::string const& name, struct timespec const times[2]);

// syncfs(2): flushes the whole file system `fd` is on.
Result<void> syncfs(int fd, std::string_view what);

// The names in the directory `dirfd` (opened for reading), without "." and "..", in the
// order the file system returns them. Reads through a duplicate, so `dirfd` stays usable
// and its offset is untouched.
Result<std::vector<std::string>> list_directory(int dirfd, std::string_view what);

} // namespace microvm::base::sys
