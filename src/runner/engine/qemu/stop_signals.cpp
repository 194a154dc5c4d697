#include "runner/engine/qemu/stop_signals.hpp"

#include <sys/signalfd.h>
#include <unistd.h>

#include <utility>

namespace microvm::runner::qemu {

Result<StopSignals> StopSignals::block() {
    sigset_t set;
    ::sigemptyset(&set);
    ::sigaddset(&set, SIGTERM);
    ::sigaddset(&set, SIGINT);
    ::sigaddset(&set, SIGHUP);
    sigset_t previous;
    if (::sigprocmask(SIG_BLOCK, &set, &previous) < 0) {
        return fail_errno("sigprocmask");
    }
    base::Fd fd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!fd) {
        int const error = errno;
        ::sigprocmask(SIG_SETMASK, &previous, nullptr);
        return fail_errno("signalfd", error);
    }
    return StopSignals(std::move(fd), previous);
}

StopSignals::StopSignals(StopSignals&& other) noexcept
    : m_fd(std::move(other.m_fd)), m_previous(other.m_previous),
      m_active(std::exchange(other.m_active, false)) {}

StopSignals::~StopSignals() {
    if (m_active) {
        // A signal that arrived after the VM ended asked to stop what has already stopped;
        // delivered now, it would kill the runner before it reports the VM's status.
        while (take() != 0) {
        }
        ::sigprocmask(SIG_SETMASK, &m_previous, nullptr);
    }
}

int StopSignals::take() {
    signalfd_siginfo info;
    ssize_t got;
    do {
        got = ::read(m_fd.get(), &info, sizeof(info));
    } while (got < 0 && errno == EINTR);
    return got == static_cast<ssize_t>(sizeof(info)) ? static_cast<int>(info.ssi_signo) : 0;
}

} // namespace microvm::runner::qemu
