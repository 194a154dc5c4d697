// The user's terminal while a command in a VM owns it: raw mode, and its size.
#pragma once

#include <termios.h>

#include <cstdint>
#include <optional>

#include "base/error.hpp"

namespace microvm::cli {

struct TerminalSize {
    std::uint16_t rows = 0;
    std::uint16_t cols = 0;
};

// The size of the terminal on `fd`; std::nullopt when it is not a terminal.
std::optional<TerminalSize> terminal_size(int fd);

// Puts the terminal on `fd` in raw mode (every key goes to the guest, which does its own
// echo and line editing: Ctrl-C reaches the guest's terminal as a byte, where its line
// discipline makes it SIGINT) and restores the saved mode when destroyed, on every return path.
class RawTerminal {
public:
    // Does nothing (and restores nothing) when `fd` is not a terminal.
    static Result<RawTerminal> enter(int fd);

    RawTerminal(RawTerminal&& other) noexcept;
    RawTerminal& operator=(RawTerminal&&) = delete;
    RawTerminal(RawTerminal const&) = delete;
    RawTerminal& operator=(RawTerminal const&) = delete;
    ~RawTerminal();

private:
    RawTerminal(int fd, std::optional<termios> saved) : m_fd(fd), m_saved(saved) {}

    int m_fd = -1;
    std::optional<termios> m_saved;
};

} // namespace microvm::cli
