// Signals and terminal resizes of the `microvm` process, passed on to a session in a VM
// (exec, attach) while it runs.
#pragma once

#include <signal.h>

#include <atomic>
#include <thread>

#include <microvm/exec.hpp>

namespace microvm::cli {

// Blocks SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGWINCH in the calling thread (and in the
// threads it starts from now on) while alive, so that SignalForwarder alone takes them. (A
// session's own relay thread blocks every signal itself.)
class BlockedSignals {
public:
    BlockedSignals();
    BlockedSignals(BlockedSignals const&) = delete;
    BlockedSignals& operator=(BlockedSignals const&) = delete;
    ~BlockedSignals();

private:
    sigset_t m_previous;
};

struct ForwardWhat {
    // SIGINT, SIGTERM, SIGHUP and SIGQUIT go to the session's process.
    bool signals = false;
    // SIGWINCH: the size of the terminal on stdin goes to the session's terminal.
    bool resize = false;
};

// A thread that takes the blocked signals and passes them on as `what` says (those it does
// not pass on are dropped while it runs).
class SignalForwarder {
public:
    SignalForwarder(ExecProcess& process, ForwardWhat what);
    SignalForwarder(SignalForwarder const&) = delete;
    SignalForwarder& operator=(SignalForwarder const&) = delete;
    ~SignalForwarder();

private:
    void forward(ExecProcess& process, ForwardWhat what);

    std::atomic<bool> m_stop{false};
    std::thread m_thread;
};

} // namespace microvm::cli
