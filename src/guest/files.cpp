#include "guest/files.hpp"

#include <fcntl.h>
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

Result<base::Fd> open_dev_null() {
    base::Fd fd(::open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!fd) {
        return fail_errno("open /dev/null");
    }
    return fd;
}

} // namespace microvm::guest
