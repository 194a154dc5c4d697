#include "cli/signal_forwarder.hpp"

#include <unistd.h>

#include "cli/terminal.hpp"

namespace microvm::cli {

namespace {

sigset_t handled_signals() {
    sigset_t set;
    sigemptyset(&set);
    for (int signo : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH}) {
        sigaddset(&set, signo);
    }
    return set;
}

// How often the forwarder looks whether it should stop.
constexpr long stop_check_ns = 100'000'000;

} // namespace

BlockedSignals::BlockedSignals() {
    sigset_t const set = handled_signals();
    ::pthread_sigmask(SIG_BLOCK, &set, &m_previous);
}

BlockedSignals::~BlockedSignals() {
    ::pthread_sigmask(SIG_SETMASK, &m_previous, nullptr);
}

SignalForwarder::SignalForwarder(ExecProcess& process, ForwardWhat what)
    : m_thread([this, &process, what] { forward(process, what); }) {}

SignalForwarder::~SignalForwarder() {
    m_stop = true;
    // Wakes the thread now rather than at its next tick (an exec's round trip would wait it
    // out): a blocked signal sent to the thread itself ends its sigtimedwait().
    ::pthread_kill(m_thread.native_handle(), SIGWINCH);
    m_thread.join();
}

void SignalForwarder::forward(ExecProcess& process, ForwardWhat what) {
    sigset_t const set = handled_signals();
    timespec const tick{.tv_sec = 0, .tv_nsec = stop_check_ns};
    while (!m_stop) {
        int const signo = ::sigtimedwait(&set, nullptr, &tick);
        if (m_stop) {
            break;
        }
        if (signo == SIGWINCH) {
            if (auto const size = terminal_size(STDIN_FILENO); size && what.resize) {
                (void)process.resize(size->rows, size->cols);
            }
        } else if (signo > 0 && what.signals) {
            (void)process.signal(signo);
        }
    }
}

} // namespace microvm::cli
