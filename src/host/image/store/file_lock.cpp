#include "host/image/store/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>

namespace microvm::image {

namespace {

Result<base::Fd> open_lock_file(std::filesystem::path const& path) {
    base::Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) {
        return fail_errno("open lock file " + path.string());
    }
    return fd;
}

int operation_for(LockMode mode) {
    return mode == LockMode::exclusive ? LOCK_EX : LOCK_SH;
}

} // namespace

Result<FileLock> FileLock::acquire(std::filesystem::path const& path, LockMode mode) {
    auto fd = TRY(open_lock_file(path));
    while (::flock(fd.get(), operation_for(mode)) != 0) {
        if (errno != EINTR) {
            return fail_errno("flock " + path.string());
        }
    }
    return FileLock(std::move(fd));
}

Result<std::optional<FileLock>> FileLock::try_acquire(std::filesystem::path const& path,
                                                      LockMode mode) {
    auto fd = TRY(open_lock_file(path));
    while (::flock(fd.get(), operation_for(mode) | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) {
            return std::nullopt;
        }
        if (errno != EINTR) {
            return fail_errno("flock " + path.string());
        }
    }
    return FileLock(std::move(fd));
}

} // namespace microvm::image
