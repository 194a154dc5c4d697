// SIGTERM, SIGINT and SIGHUP as events in the supervision loop instead of process death.
#pragma once

#include <signal.h>

#include "base/error.hpp"
#include "base/fd.hpp"

namespace microvm::runner::qemu {

class StopSignals {
public:
    // Blocks the signals and opens a signalfd for them. Children get a clean mask at spawn.
    static Result<StopSignals> block();

    StopSignals(StopSignals&& other) noexcept;
    StopSignals& operator=(StopSignals&&) = delete;
    StopSignals(StopSignals const&) = delete;
    StopSignals& operator=(StopSignals const&) = delete;
    // Discards pending stop signals, then restores the previous mask.
    ~StopSignals();

    // Readable when one of the signals is pending.
    int fd() const { return m_fd.get(); }
    // The pending signal's number, or 0 when none is pending.
    int take();

private:
    StopSignals(base::Fd fd, sigset_t previous) : m_fd(std::move(fd)), m_previous(previous) {}

    base::Fd m_fd;
    sigset_t m_previous;
    bool m_active = true;
};

} // namespace microvm::runner::qemu
