// Thin wrappers over the system calls the base layer needs.
//
// Each wrapper returns a Result whose error names the call and its object ("mkdirat etc: File
// exists") and keeps errno, so callers can branch on errno_value(). Descriptors come back as
// Fd, opened close-on-exec. EINTR is retried where the call may be interrupted.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/fd.hpp"

namespace microvm::base::sys {

// openat2(2) with `flags | O_CLOEXEC`, `mode` (only used with O_CREAT/O_TMPFILE) and the
// RESOLVE_* bits in `resolve`. `path` must not contain a NUL byte. Retries EAGAIN, which the
// kernel returns when a concurrent rename or mount could have let ".." escape a scoped lookup.
// ENOSYS (Linux < 5.6, or a seccomp filter that does not know the call) is reported as such:
// there is no fallback, because every fallback would be a string check.
Result<Fd> openat2(int dirfd, std::string const& path, int flags, mode_t mode,
                   std::uint64_t resolve);

Result<struct stat> fstat(int fd, std::string_view what);
// fstatat(2) with AT_SYMLINK_NOFOLLOW: a symlink is described, not followed.
Result<struct stat> lstatat(int dirfd, std::string const& name);

Result<void> mkdirat(int dirfd, std::string const& name, mode_t mode);
Result<void> renameat(int dirfd, std::string const& from, std::string const& to);
Result<void> unlinkat(int dirfd, std::string const& name, int flags);
Result<void> fchmod(int fd, mode_t mode, std::string_view what);
Result<void> fsync(int fd, std::string_view what);

// Writes all of `bytes`, continuing after short writes and, on a non-blocking descriptor,
// waiting until it takes more. `what` names the file in errors.
Result<void> write_all(int fd, std::string_view bytes, std::string_view what);

// write_all() for a socket, with MSG_NOSIGNAL: a peer that has gone is an EPIPE error, never
// a SIGPIPE for the whole process.
Result<void> send_all(int socket, std::string_view bytes, std::string_view what);

struct Pipe {
    Fd read;
    Fd write;
};
// A pipe, both ends close-on-exec.
Result<Pipe> make_pipe();

// Reads until end of file. Fails with EFBIG when the file holds more than `max_bytes`, so a
// hostile or corrupt file cannot make the caller allocate without bound.
Result<std::string> read_all(int fd, std::size_t max_bytes, std::string_view what);

// The names in the directory `path`, without "." and "..", in the order the file system gives
// them. Never throws: a directory that cannot be opened, or whose reading fails part way (one
// removed while it is read gives ENOENT, as does /proc/PID/fd of a process that exits
// meanwhile), is an error that names `path` and keeps the errno.
Result<std::vector<std::string>> list_directory(std::filesystem::path const& path);

// pidfd_open(2) (Linux 5.3): a descriptor on the process `pid` that, unlike the PID, can never
// come to mean a later process given the same number. Close-on-exec, as every pidfd is. Fails
// with ESRCH when there is no such process.
Result<Fd> pidfd_open(pid_t pid);

// Opens a host file the caller chose (not one inside an untrusted root: use the safe-file
// layer for those) and reads it whole, with read_all()'s bound.
Result<std::string> read_file(std::filesystem::path const& path, std::size_t max_bytes);

} // namespace microvm::base::sys
