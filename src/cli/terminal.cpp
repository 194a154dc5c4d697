#include "cli/terminal.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <utility>

namespace microvm::cli {

std::optional<TerminalSize> terminal_size(int fd) {
    winsize size{};
    if (::ioctl(fd, TIOCGWINSZ, &size) != 0) {
        return std::nullopt;
    }
    return TerminalSize{.rows = size.ws_row, .cols = size.ws_col};
}

Result<RawTerminal> RawTerminal::enter(int fd) {
    if (::isatty(fd) == 0) {
        return RawTerminal(fd, std::nullopt);
    }
    termios saved{};
    if (::tcgetattr(fd, &saved) != 0) {
        return fail_errno("tcgetattr");
    }
    termios raw = saved;
    ::cfmakeraw(&raw);
    if (::tcsetattr(fd, TCSADRAIN, &raw) != 0) {
        return fail_errno("tcsetattr (raw mode)");
    }
    return RawTerminal(fd, saved);
}

RawTerminal::RawTerminal(RawTerminal&& other) noexcept
    : m_fd(other.m_fd), m_saved(std::exchange(other.m_saved, std::nullopt)) {}

RawTerminal::~RawTerminal() {
    if (m_saved) {
        (void)::tcsetattr(m_fd, TCSADRAIN, &*m_saved);
    }
}

} // namespace microvm::cli
