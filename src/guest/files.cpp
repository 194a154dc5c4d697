#include "guest/files.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "base/fd.hpp"

namespace microvm::guest {
namespace {

Result<std::string> read_all(int fd, std::string const& name) {
    std::string text;
    char buffer[4096];
    while (true) {
        ssize_t const got = ::read(fd, buffer, sizeof buffer);
        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }
            return fail_errno("read " + name);
        }
        if (got == 0) {
            return text;
        }
        text.append(buffer, static_cast<std::size_t>(got));
    }
}

} // namespace

Result<std::optional<std::string>> read_optional_file(std::string const& path) {
    base::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT) {
            return std::nullopt;
        }
        return fail_errno("open " + path);
    }
    return TRY(read_all(fd.get(), path));
}

Result<std::optional<std::string>> read_optional_file_in_root(std::string const& root,
                                                              std::string const& relative) {
    std::string const name = root + "/" + relative;
    base::Fd dir(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir) {
        return fail_errno("open " + root);
    }
    open_how how{};
    how.flags = O_RDONLY | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    base::Fd fd(
        static_cast<int>(::syscall(SYS_openat2, dir.get(), relative.c_str(), &how, sizeof how)));
    if (!fd) {
        if (errno == ENOENT) {
            return std::nullopt;
        }
        if (errno == ELOOP) {
            return fail("open " + name + ": a symbolic link is on the path; refusing to follow it");
        }
        return fail_errno("openat2 " + name);
    }
    return TRY(read_all(fd.get(), name));
}

} // namespace microvm::guest
