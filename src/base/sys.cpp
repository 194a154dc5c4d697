#include "base/sys.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace microvm::base::sys {

namespace {

// A scoped lookup fails with EAGAIN only while renames race with it; a few retries ride that
// out, and a bound keeps a hostile writer from spinning us forever.
constexpr int openat2_eagain_retries = 16;

// The kernel's read() never returns more than this per call; it also sizes our buffer.
constexpr std::size_t read_chunk = 64 * 1024;

} // namespace

Result<Fd> openat2(int dirfd, std::string const& path, int flags, mode_t mode,
                   std::uint64_t resolve) {
    std::string const op = "openat2 " + path;
    if (path.find('\0') != std::string::npos) {
        return fail_errno(op + " (path contains a NUL byte)", EINVAL);
    }
    struct open_how how {};
    // openat2, unlike openat, refuses O_PATH combined with flags that do not apply to it.
    int const extra = (flags & O_PATH) != 0 ? O_CLOEXEC : O_CLOEXEC | O_NOCTTY;
    how.flags = static_cast<std::uint64_t>(flags | extra);
    // openat2 rejects a non-zero mode unless a file may be created.
    how.mode = (flags & (O_CREAT | O_TMPFILE)) != 0 ? mode : 0;
    how.resolve = resolve;
    for (int attempt = 0;; ++attempt) {
        long fd = ::syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how);
        if (fd >= 0) {
            return Fd(static_cast<int>(fd));
        }
        int const error = errno;
        if (error == EINTR || (error == EAGAIN && attempt < openat2_eagain_retries)) {
            continue;
        }
        if (error == ENOSYS) {
            return fail_errno(op + " (openat2 needs Linux 5.6 or later and a seccomp profile "
                                   "that allows it)",
                              error);
        }
        return fail_errno(op, error);
    }
}

Result<struct stat> fstat(int fd, std::string_view what) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        return fail_errno("fstat " + std::string(what));
    }
    return st;
}

Result<struct stat> lstatat(int dirfd, std::string const& name) {
    struct stat st {};
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        return fail_errno("fstatat " + name);
    }
    return st;
}

Result<void> mkdirat(int dirfd, std::string const& name, mode_t mode) {
    if (::mkdirat(dirfd, name.c_str(), mode) != 0) {
        return fail_errno("mkdirat " + name);
    }
    return {};
}

Result<void> renameat(int dirfd, std::string const& from, std::string const& to) {
    if (::renameat(dirfd, from.c_str(), dirfd, to.c_str()) != 0) {
        return fail_errno("renameat " + from + " to " + to);
    }
    return {};
}

Result<void> unlinkat(int dirfd, std::string const& name, int flags) {
    if (::unlinkat(dirfd, name.c_str(), flags) != 0) {
        return fail_errno("unlinkat " + name);
    }
    return {};
}

Result<void> fchmod(int fd, mode_t mode, std::string_view what) {
    if (::fchmod(fd, mode) != 0) {
        return fail_errno("fchmod " + std::string(what));
    }
    return {};
}

Result<void> fsync(int fd, std::string_view what) {
    while (::fsync(fd) != 0) {
        if (errno != EINTR) {
            return fail_errno("fsync " + std::string(what));
        }
    }
    return {};
}

namespace {

template <typename Write>
Result<void> write_fully(int fd, std::string_view bytes, Write write, std::string_view what) {
    while (!bytes.empty()) {
        ssize_t const n = write(fd, bytes);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN) {
                pollfd ready{.fd = fd, .events = POLLOUT, .revents = 0};
                (void)::poll(&ready, 1, -1);
                continue;
            }
            return fail_errno("write " + std::string(what));
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

} // namespace

Result<void> write_all(int fd, std::string_view bytes, std::string_view what) {
    return write_fully(
        fd, bytes, [](int to, std::string_view b) { return ::write(to, b.data(), b.size()); },
        what);
}

Result<void> send_all(int socket, std::string_view bytes, std::string_view what) {
    return write_fully(
        socket, bytes,
        [](int to, std::string_view b) { return ::send(to, b.data(), b.size(), MSG_NOSIGNAL); },
        what);
}

Result<Pipe> make_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        return fail_errno("pipe2");
    }
    return Pipe{Fd(fds[0]), Fd(fds[1])};
}

Result<std::string> read_all(int fd, std::size_t max_bytes, std::string_view what) {
    std::string out;
    for (;;) {
        // Ask for one byte beyond the limit so that a file of exactly max_bytes is accepted
        // and a longer one is detected without reading it all.
        std::size_t const room = max_bytes - out.size() + 1;
        std::size_t const want = room < read_chunk ? room : read_chunk;
        std::size_t const old_size = out.size();
        out.resize(old_size + want);
        ssize_t n = ::read(fd, out.data() + old_size, want);
        if (n < 0) {
            out.resize(old_size);
            if (errno == EINTR) {
                continue;
            }
            return fail_errno("read " + std::string(what));
        }
        out.resize(old_size + static_cast<std::size_t>(n));
        if (n == 0) {
            return out;
        }
        if (out.size() > max_bytes) {
            return fail_errno("read " + std::string(what) + " (larger than " +
                                  std::to_string(max_bytes) + " bytes)",
                              EFBIG);
        }
    }
}

Result<std::vector<std::string>> list_directory(std::filesystem::path const& path) {
    std::vector<std::string> names;
    std::error_code error;
    // The error_code overloads throughout: a range-for would throw from operator++.
    for (std::filesystem::directory_iterator it(path, error), end; !error && it != end;
         it.increment(error)) {
        names.push_back(it->path().filename().string());
    }
    if (error) {
        return fail_errno("list " + path.string(), error.value());
    }
    return names;
}

Result<Fd> pidfd_open(pid_t pid) {
    // Debian 12's glibc has no wrapper, so the system call is made directly.
    long const fd = ::syscall(SYS_pidfd_open, pid, 0U);
    if (fd < 0) {
        return fail_errno("pidfd_open " + std::to_string(pid));
    }
    return Fd(static_cast<int>(fd));
}

Result<std::string> read_file(std::filesystem::path const& path, std::size_t max_bytes) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        return fail_errno("open " + path.string());
    }
    return read_all(fd.get(), max_bytes, path.string());
}

} // namespace microvm::base::sys
