#include "host/process/stop.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <optional>
#include <string>

#include "host/process/pidfd.hpp"

namespace microvm::process {

namespace {

std::string group_of(pid_t pid) {
    return "process group " + std::to_string(pid);
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

    // SIGTERM to the runner alone: it stops its VM gracefully (a stop request to the guest, whose
    // workload gets SIGTERM) and then its daemons. Sent to the whole group, it would also reach
    // qemu, which ends the VM on the spot.
    if (!TRY_CTX(signal_process(*pidfd, pid, SIGTERM), context)) {
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
    TRY_CTX(wait_pidfd(*pidfd, std::nullopt), context);
    return {};
}

} // namespace microvm::process
