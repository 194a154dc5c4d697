#include "guest/console.hpp"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
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

namespace {
bool trace_enabled = false;
} // namespace

bool cmdline_has_word(std::string_view cmdline, std::string_view word) {
    while (!cmdline.empty()) {
        auto const start = cmdline.find_first_not_of(" \t\n");
        if (start == std::string_view::npos) {
            return false;
        }
        cmdline.remove_prefix(start);
        auto const end = cmdline.find_first_of(" \t\n");
        if (cmdline.substr(0, end) == word) {
            return true;
        }
        cmdline.remove_prefix(end == std::string_view::npos ? cmdline.size() : end);
    }
    return false;
}

void enable_trace(bool enabled) {
    trace_enabled = enabled;
}

void trace(std::string_view step) {
    if (!trace_enabled) {
        return;
    }
    // CLOCK_BOOTTIME is the clock of the kernel's own "[    1.234567]" timestamps.
    timespec now{};
    ::clock_gettime(CLOCK_BOOTTIME, &now);
    char stamp[32];
    std::snprintf(stamp, sizeof stamp, "%ld.%03ld ", static_cast<long>(now.tv_sec),
                  now.tv_nsec / 1000000);
    log(std::string(stamp) + std::string(step));
}

} // namespace microvm::guest
