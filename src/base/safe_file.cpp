#include "base/safe_file.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <utility>
#include <vector>

#include "base/path_parts.hpp"
#include "base/sys.hpp"

namespace microvm::base {

namespace {

// O_EXCL makes a clash harmless; retries only keep a planted file with our name from
// blocking the write, and the bound keeps a directory full of them from spinning us.
constexpr int temp_name_attempts = 16;

std::uint64_t resolve_bits(Resolve policy) {
    switch (policy) {
    case Resolve::in_root:
        return RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    case Resolve::no_symlinks:
        break;
    }
    return RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
}

std::vector<std::string> components(std::string_view path) {
    return path_components(path);
}

std::string join(std::vector<std::string> const& parts, std::size_t count) {
    return join_components(parts, count);
}

// The canonical spelling of a path below a root: no leading "/", no empty or "." components,
// "." for the root itself. ".." is kept; the resolve policy decides what it may do.
Result<std::vector<std::string>> split(std::string_view relative) {
    if (relative.find('\0') != std::string_view::npos) {
        return fail_errno("path \"" + std::string(relative) + "\" contains a NUL byte", EINVAL);
    }
    return components(relative);
}

// Turns an openat2 failure into a message that says what the errno means for a root.
Error open_error(std::string const& path, int error, Resolve policy) {
    std::string op = "openat2 " + path;
    if (error == ELOOP && policy == Resolve::no_symlinks) {
        op += " (a component is a symlink, and symlinks inside a root are never followed)";
    } else if (error == EXDEV) {
        op += " (the path leaves the root)";
    }
    return Error::from_errno(op, error);
}

std::string temp_name() {
    static std::atomic<std::uint64_t> counter{0};
    std::uint64_t random = 0;
    if (::getrandom(&random, sizeof random, GRND_NONBLOCK) != sizeof random) {
        // Uniqueness, not secrecy, is what matters: O_EXCL already rules out taking over a file.
        random = (static_cast<std::uint64_t>(::getpid()) << 32) ^ counter.fetch_add(1);
    }
    char buf[40];
    std::snprintf(buf, sizeof buf, ".microvm-tmp-%016llx", static_cast<unsigned long long>(random));
    return buf;
}

// Removes the temporary file unless the rename consumed it.
class TempFileGuard {
public:
    TempFileGuard(int dirfd, std::string name) : m_dirfd(dirfd), m_name(std::move(name)) {}
    TempFileGuard(TempFileGuard const&) = delete;
    TempFileGuard& operator=(TempFileGuard const&) = delete;
    ~TempFileGuard() {
        if (!m_name.empty()) {
            ::unlinkat(m_dirfd, m_name.c_str(), 0);
        }
    }
    void dismiss() { m_name.clear(); }

private:
    int m_dirfd;
    std::string m_name;
};

} // namespace

Result<Fd> open_root(std::filesystem::path const& path) {
    Fd fd(::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!fd) {
        return fail_errno("open root " + path.string());
    }
    return fd;
}

Result<Fd> open_in_root(Fd const& root, std::string_view relative, int flags, mode_t mode,
                        Resolve policy) {
    auto parts = TRY(split(relative));
    std::string const path = join(parts, parts.size());
    auto fd = sys::openat2(root.get(), path, flags, mode, resolve_bits(policy));
    if (!fd) {
        return std::unexpected(open_error(path, fd.error().errno_value(), policy));
    }
    return fd;
}

Result<void> mkdirs_no_follow(Fd const& root, std::string_view relative_dir, mode_t mode) {
    auto parts = TRY(split(relative_dir));
    std::string const whole = join(parts, parts.size());
    std::string const op = "mkdirs " + whole;
    // Each step opens one component below the previous one, so no lookup ever crosses more
    // than one name the image controls, and that name must be a real directory.
    Fd dir = TRY_CTX(open_in_root(root, ".", O_PATH | O_DIRECTORY), op);
    std::uint64_t const strict = resolve_bits(Resolve::no_symlinks);
    for (std::size_t i = 0; i < parts.size(); ++i) {
        std::string const& name = parts[i];
        std::string const done = join(parts, i + 1);
        if (name == "..") {
            return fail_errno(op + ": \"..\" is not allowed", EINVAL);
        }
        if (::mkdirat(dir.get(), name.c_str(), mode) != 0 && errno != EEXIST) {
            return fail_errno(op + ": mkdirat " + done);
        }
        auto next = sys::openat2(dir.get(), name, O_PATH | O_DIRECTORY, 0, strict);
        if (!next) {
            int const error = next.error().errno_value();
            if (error == ELOOP) {
                return fail_errno(op + ": " + done +
                                      " is a symlink, and symlinks inside a root are never "
                                      "followed",
                                  error);
            }
            if (error == ENOTDIR) {
                return fail_errno(op + ": " + done + " exists and is not a directory", error);
            }
            return fail_errno(op + ": openat2 " + done, error);
        }
        dir = std::move(*next);
    }
    return {};
}

Result<void> write_file_in_root(Fd const& root, std::string_view relative, std::string_view bytes,
                                mode_t mode, Resolve parent_policy) {
    auto parts = TRY(split(relative));
    std::string const whole = join(parts, parts.size());
    std::string const op = "write " + whole;
    if (parts.empty() || parts.back() == "..") {
        return fail_errno(op + ": the path does not name a file", EINVAL);
    }
    std::string const leaf = parts.back();
    std::string const parent = join(parts, parts.size() - 1);

    Fd dir = TRY_CTX(open_in_root(root, parent, O_RDONLY | O_DIRECTORY, 0, parent_policy), op);

    // rename() would refuse a directory too, but only after the temporary file was written;
    // checking first gives the clearer message. A symlink leaf is fine: rename replaces the
    // link itself and never looks at its target.
    if (auto st = sys::lstatat(dir.get(), leaf); st) {
        if (S_ISDIR(st->st_mode)) {
            return fail_errno(op + ": the path is a directory", EISDIR);
        }
    } else if (st.error().errno_value() != ENOENT) {
        return std::unexpected(std::move(st.error()).context(op));
    }

    std::uint64_t const strict = resolve_bits(Resolve::no_symlinks);
    std::string name;
    Fd tmp;
    for (int attempt = 0; attempt < temp_name_attempts && !tmp; ++attempt) {
        name = temp_name();
        auto opened = sys::openat2(dir.get(), name, O_WRONLY | O_CREAT | O_EXCL, 0600, strict);
        if (opened) {
            tmp = std::move(*opened);
        } else if (opened.error().errno_value() != EEXIST) {
            return std::unexpected(std::move(opened.error()).context(op));
        }
    }
    if (!tmp) {
        return fail_errno(op + ": no free temporary name", EEXIST);
    }
    TempFileGuard guard(dir.get(), name);

    TRY_CTX(sys::write_all(tmp.get(), bytes, name), op);
    // An explicit fchmod, because the mode given to open() is filtered by the umask.
    TRY_CTX(sys::fchmod(tmp.get(), mode & 07777, name), op);
    TRY_CTX(sys::fsync(tmp.get(), name), op);
    TRY_CTX(sys::renameat(dir.get(), name, leaf), op);
    guard.dismiss();
    // The rename is durable only once the directory entry is.
    TRY_CTX(sys::fsync(dir.get(), parent), op);
    return {};
}

Result<std::string> read_file_in_root(Fd const& root, std::string_view relative,
                                      std::size_t max_bytes, Resolve policy) {
    auto parts = TRY(split(relative));
    std::string const whole = join(parts, parts.size());
    std::string const op = "read " + whole;
    // Look before opening for reading: opening a FIFO blocks and opening a device node can
    // act on the device, so only an O_PATH descriptor ever touches what the image planted
    // until it is known to be a regular file.
    Fd probe = TRY_CTX(open_in_root(root, whole, O_PATH, 0, policy), op);
    auto const before = TRY_CTX(sys::fstat(probe.get(), whole), op);
    if (!S_ISREG(before.st_mode)) {
        return fail_errno(op + ": not a regular file", EINVAL);
    }
    Fd fd = TRY_CTX(open_in_root(root, whole, O_RDONLY | O_NONBLOCK, 0, policy), op);
    auto const after = TRY_CTX(sys::fstat(fd.get(), whole), op);
    if (after.st_dev != before.st_dev || after.st_ino != before.st_ino) {
        return fail_errno(op + ": the file was replaced while being opened", EAGAIN);
    }
    return TRY_CTX(sys::read_all(fd.get(), max_bytes, whole), op);
}

} // namespace microvm::base
