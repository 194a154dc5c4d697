#include "host/process/stop.hpp"

#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string>

#include "base/fd.hpp"

namespace microvm::process {

namespace {

// Linux 6.9 signals the pidfd's process group; older kernels reject the flag with EINVAL.
#ifndef PIDFD_SIGNAL_PROCESS_GROUP
constexpr unsigned int PIDFD_SIGNAL_PROCESS_GROUP = 1U << 2;
#endif

// Debian 12's glibc declares these without C linkage, so they are called directly.
int pidfd_open(pid_t pid) {
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0U));
}
int pidfd_send_signal(int pidfd, int signal, unsigned int flags) {
    return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, flags));
}

std::string group_of(pid_t pid) {
    return "process group " + std::to_string(pid);
}

// A pidfd pins the process it was opened for: signals and polls through it can never reach a
// later holder of the same PID. std::nullopt when there is no such process.
Result<std::optional<base::Fd>> open_pidfd(pid_t pid) {
    base::Fd fd(pidfd_open(pid));
    if (!fd) {
        if (errno == ESRCH) {
            return std::nullopt;
        }
        return fail_errno("pidfd_open " + std::to_string(pid));
    }
    return std::optional<base::Fd>(std::move(fd));
}

// Sends `signal` to the group the process behind `pidfd` leads. Returns false when the group
// is empty.
Result<bool> signal_group(base::Fd const& pidfd, pid_t pid, int signal) {
    std::string const what =
        std::string("send SIG") + sigabbrev_np(signal) + " to " + group_of(pid);
    if (pidfd_send_signal(pidfd.get(), signal, PIDFD_SIGNAL_PROCESS_GROUP) == 0) {
        return true;
    }
    if (errno == ESRCH) {
        return false;
    }
    if (errno != EINVAL) {
        return fail_errno(what);
    }
    // Older kernel: kill(-pid) is only safe while the leader is unreaped, because until then
    // its PID, which is also the group's ID, cannot be handed to anyone else.
    if (pidfd_send_signal(pidfd.get(), 0, 0) != 0) {
        if (errno == ESRCH) {
            return false;
        }
        return fail_errno(what);
    }
    if (::kill(-pid, signal) == 0) {
        return true;
    }
    if (errno == ESRCH) {
        return false;
    }
    return fail_errno(what);
}

// Waits until the process behind `pidfd` exits; false when `timeout` passes first.
// A negative timeout waits forever.
Result<bool> wait_pidfd(base::Fd const& pidfd, std::chrono::milliseconds timeout) {
    auto const deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        int wait_ms = -1;
        if (timeout.count() >= 0) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            wait_ms = static_cast<int>(std::max<std::int64_t>(left.count(), 0));
        }
        pollfd entry{.fd = pidfd.get(), .events = POLLIN, .revents = 0};
        int ready = ::poll(&entry, 1, wait_ms);
        if (ready > 0) {
            return true;
        }
        if (ready == 0) {
            return false;
        }
        if (errno != EINTR) {
            return fail_errno("poll pidfd");
        }
    }
}

// Kills what the runner left behind in its group once it has exited itself.
void kill_leftovers(base::Fd const& pidfd, pid_t pid) {
    auto signalled = signal_group(pidfd, pid, SIGKILL);
    if (!signalled) {
        spdlog::warn("{}", signalled.error().text());
    } else if (*signalled) {
        spdlog::debug("killed processes left in {}", group_of(pid));
    }
}

} // namespace

char const* to_string(StopOutcome outcome) {
    switch (outcome) {
    case StopOutcome::not_running:
        return "not running";
    case StopOutcome::terminated:
        return "terminated";
    case StopOutcome::killed:
        return "killed";
    }
    return "?";
}

Result<StopOutcome> stop(ProcessIdentity const& identity, std::chrono::milliseconds timeout) {
    pid_t const pid = identity.pid;
    if (pid <= 1) {
        return fail("stop: refusing to signal pid " + std::to_string(pid));
    }
    auto const context = "stop runner pid " + std::to_string(pid);
    auto pidfd = TRY_CTX(open_pidfd(pid), context);
    if (!pidfd) {
        return StopOutcome::not_running;
    }
    // Checked after the pidfd is open, so the process it pins is the one that matched.
    switch (check_identity(identity)) {
    case Presence::gone:
        return StopOutcome::not_running;
    case Presence::replaced:
        spdlog::warn("pid {} is no longer the runner {} (PID reused); not signalling it", pid,
                     identity.exe.string());
        return StopOutcome::not_running;
    case Presence::exited:
        kill_leftovers(*pidfd, pid);
        return StopOutcome::not_running;
    case Presence::running:
        break;
    }

    if (!TRY_CTX(signal_group(*pidfd, pid, SIGTERM), context)) {
        return StopOutcome::not_running;
    }
    if (TRY_CTX(wait_pidfd(*pidfd, timeout), context)) {
        kill_leftovers(*pidfd, pid);
        return StopOutcome::terminated;
    }
    spdlog::warn("runner pid {} still running {} ms after SIGTERM; sending SIGKILL", pid,
                 timeout.count());
    TRY_CTX(signal_group(*pidfd, pid, SIGKILL), context);
    if (!TRY_CTX(wait_pidfd(*pidfd, kill_grace), context)) {
        return fail(context + ": still running " + std::to_string(kill_grace.count()) +
                    " s after SIGKILL");
    }
    return StopOutcome::killed;
}

bool alive(ProcessIdentity const& identity) {
    return identity.pid > 1 && check_identity(identity) == Presence::running;
}

Result<void> wait_for_exit(ProcessIdentity const& identity) {
    auto const context = "wait for runner pid " + std::to_string(identity.pid);
    if (identity.pid <= 1) {
        return fail(context + ": invalid pid");
    }
    auto pidfd = TRY_CTX(open_pidfd(identity.pid), context);
    if (!pidfd || check_identity(identity) != Presence::running) {
        return {};
    }
    TRY_CTX(wait_pidfd(*pidfd, std::chrono::milliseconds(-1)), context);
    return {};
}

} // namespace microvm::process
