// Advisory whole-file locks (flock) that coordinate pulls, unpacks and prunes between
// processes sharing one image store.
//
// flock locks belong to an open file description, so two threads of one process that each
// acquire a FileLock on the same path also exclude each other. The lock files themselves are
// never removed: removing one while another process waits on it would let two holders in.
#pragma once

#include <filesystem>
#include <optional>

#include "base/error.hpp"
#include "base/fd.hpp"

namespace microvm::image {

enum class LockMode { shared, exclusive };

class FileLock {
public:
    // Opens (creating, mode 0600) `path` and blocks until the lock is granted. Fails when the
    // file cannot be opened or flock fails for another reason than EINTR.
    static Result<FileLock> acquire(std::filesystem::path const& path, LockMode mode);
    // Like acquire(), but returns nullopt at once when another holder has a conflicting lock.
    static Result<std::optional<FileLock>> try_acquire(std::filesystem::path const& path,
                                                       LockMode mode);

    FileLock(FileLock&&) noexcept = default;
    FileLock& operator=(FileLock&&) noexcept = default;

    // Closing the descriptor releases the lock.
    ~FileLock() = default;

    // The locked descriptor. flock locks belong to the open file description, so a child that
    // inherits it holds the lock too, for as long as any copy stays open (a detached VM's
    // runner keeps its image's rootfs locked after the process that started it has exited).
    int fd() const { return m_fd.get(); }

private:
    explicit FileLock(base::Fd fd) : m_fd(std::move(fd)) {}
    base::Fd m_fd;
};

} // namespace microvm::image
