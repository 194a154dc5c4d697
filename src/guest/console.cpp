#include "guest/console.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <string>

namespace microvm::guest {

void log(std::string_view message) {
    std::string line = "microvm-init: ";
    line += message;
    line += '\n';
    // One write per line, so that lines from init and the kernel do not interleave mid-line.
    std::string_view rest = line;
    while (!rest.empty()) {
        ssize_t const written = ::write(STDERR_FILENO, rest.data(), rest.size());
        if (written <= 0) {
            return;
        }
        rest.remove_prefix(static_cast<std::size_t>(written));
    }
}

void ensure_console() {
    for (int fd = 0; fd <= 2; ++fd) {
        if (::fcntl(fd, F_GETFD) != -1) {
            continue;
        }
        int const console = ::open("/dev/console", O_RDWR | O_NOCTTY);
        if (console < 0) {
            return;
        }
        if (console != fd) {
            ::dup2(console, fd);
            ::close(console);
        }
    }
}

} // namespace microvm::guest
