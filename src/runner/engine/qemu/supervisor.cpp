#include "runner/engine/qemu/supervisor.hpp"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <string.h>

#include <algorithm>

#include "runner/engine/qemu/control_port.hpp"

namespace microvm::runner::qemu {

namespace {

using Clock = std::chrono::steady_clock;

// How long connecting to qemu's control socket and writing the request may take; qemu accepts
// at once unless it is wedged.
constexpr std::chrono::milliseconds control_timeout{2000};

int poll_timeout(std::optional<Clock::time_point> const& a,
                 std::optional<Clock::time_point> const& b) {
    std::optional<Clock::time_point> deadline = a;
    if (b && (!deadline || *b < *deadline)) {
        deadline = b;
    }
    if (!deadline) {
        return -1;
    }
    auto const left =
        std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now()).count();
    return static_cast<int>(std::clamp<long long>(left, 0, 60'000));
}

class Supervision {
public:
    Supervision(base::Child& qemu, std::vector<ShareDaemon>& daemons, StopSignals& signals,
                std::string const& control_socket_path)
        : m_qemu(qemu), m_daemons(daemons), m_signals(signals), m_control(control_socket_path) {}

    Result<SupervisionOutcome> run() {
        while (m_qemu.owned()) {
            TRY(wait_for_event());
            if (auto status = TRY(m_qemu.try_wait())) {
                m_outcome.qemu = *status;
                break;
            }
            TRY(reap_daemons());
            while (int const signo = m_signals.take()) {
                on_stop_signal(signo);
            }
            on_deadlines();
        }
        return m_outcome;
    }

private:
    Result<void> wait_for_event() {
        std::vector<pollfd> fds = {{m_signals.fd(), POLLIN, 0}, {m_qemu.pidfd(), POLLIN, 0}};
        for (auto const& daemon : m_daemons) {
            if (daemon.child.owned()) {
                fds.push_back({daemon.child.pidfd(), POLLIN, 0});
            }
        }
        int const timeout = poll_timeout(m_kill_deadline, m_daemon_grace_deadline);
        if (::poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) {
            return fail_errno("poll");
        }
        return {};
    }

    Result<void> reap_daemons() {
        for (auto& daemon : m_daemons) {
            if (!daemon.child.owned()) {
                continue;
            }
            auto const status = TRY(daemon.child.try_wait());
            if (status && !m_outcome.dead_share) {
                m_outcome.dead_share = daemon.tag;
                m_outcome.dead_share_status = *status;
                m_daemon_grace_deadline = Clock::now() + daemon_exit_grace;
            }
        }
        return {};
    }

    void on_stop_signal(int signo) {
        if (m_outcome.stop_signal != 0) {
            spdlog::warn("SIG{} again: killing the VM", ::sigabbrev_np(signo));
            kill_qemu();
            return;
        }
        m_outcome.stop_signal = signo;
        spdlog::info("SIG{}: asking the guest to stop", ::sigabbrev_np(signo));
        m_kill_deadline = Clock::now() + powerdown_timeout;
        if (auto sent = request_guest_stop(m_control, control_timeout)) {
            m_control_connection = std::move(*sent);
        } else {
            // Without the control socket (qemu still starting, or wedged) qemu's own SIGTERM
            // handling is the next most orderly way out; the deadline still applies.
            spdlog::warn("could not ask the guest to stop: {}; terminating qemu",
                         sent.error().text());
            (void)m_qemu.signal(SIGTERM);
        }
    }

    void on_deadlines() {
        auto const now = Clock::now();
        if (m_daemon_grace_deadline && now >= *m_daemon_grace_deadline) {
            m_daemon_grace_deadline.reset();
            m_outcome.stopped_for_dead_share = true;
            spdlog::error("virtiofsd for share \"{}\" exited ({}) while the VM was running; "
                          "stopping the VM",
                          *m_outcome.dead_share, m_outcome.dead_share_status.describe());
            (void)m_qemu.signal(SIGTERM);
            if (!m_kill_deadline || *m_kill_deadline > now + daemon_stop_timeout) {
                m_kill_deadline = now + daemon_stop_timeout;
            }
        }
        if (m_kill_deadline && now >= *m_kill_deadline) {
            m_kill_deadline.reset();
            if (m_outcome.stop_signal != 0 && !m_outcome.stopped_for_dead_share) {
                spdlog::warn("the guest did not power off within {} s; killing the VM",
                             powerdown_timeout.count());
            }
            kill_qemu();
        }
    }

    void kill_qemu() {
        m_outcome.killed = true;
        m_kill_deadline.reset();
        (void)m_qemu.signal(SIGKILL);
    }

    base::Child& m_qemu;
    std::vector<ShareDaemon>& m_daemons;
    StopSignals& m_signals;
    std::string const& m_control;
    // Open until qemu has exited: closing it could drop a request the guest has not read yet.
    base::Fd m_control_connection;
    SupervisionOutcome m_outcome;
    std::optional<Clock::time_point> m_kill_deadline;
    std::optional<Clock::time_point> m_daemon_grace_deadline;
};

} // namespace

Result<SupervisionOutcome> supervise(base::Child& qemu, std::vector<ShareDaemon>& daemons,
                                     StopSignals& signals, std::string const& control_socket_path) {
    return Supervision(qemu, daemons, signals, control_socket_path).run();
}

void stop_daemons(std::vector<ShareDaemon>& daemons) {
    for (auto& daemon : daemons) {
        if (daemon.child.owned()) {
            (void)daemon.child.signal(SIGTERM);
        }
    }
    auto const deadline = Clock::now() + daemon_stop_timeout;
    for (;;) {
        std::vector<pollfd> fds;
        for (auto& daemon : daemons) {
            if (daemon.child.owned()) {
                auto const status = daemon.child.try_wait();
                if (!status || *status) {
                    continue; // reaped now (or not waitable: the destructor kills it)
                }
                fds.push_back({daemon.child.pidfd(), POLLIN, 0});
            }
        }
        if (fds.empty()) {
            return;
        }
        int const timeout = poll_timeout(deadline, std::nullopt);
        if (timeout == 0) {
            break;
        }
        if (::poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) {
            break;
        }
    }
    for (auto& daemon : daemons) {
        if (daemon.child.owned()) {
            spdlog::warn("virtiofsd for share \"{}\" did not stop; killing it", daemon.tag);
            daemon.child.kill_and_reap();
        }
    }
}

} // namespace microvm::runner::qemu
