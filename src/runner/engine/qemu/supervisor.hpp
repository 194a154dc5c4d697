// Watching qemu and its daemons until the VM has ended.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "base/child.hpp"
#include "runner/engine/qemu/share_daemon.hpp"
#include "runner/engine/qemu/stop_signals.hpp"

namespace microvm::runner::qemu {

// How long the guest has to power off after a stop request (see control_port.hpp) before qemu is
// killed.
inline constexpr std::chrono::seconds powerdown_timeout{10};
// A daemon also exits, with status 0, when qemu disconnects as it exits itself; qemu gets this
// long to finish exiting before the daemon's death counts as a failure.
inline constexpr std::chrono::seconds daemon_exit_grace{2};
// How long daemons get to exit after SIGTERM once the VM has ended.
inline constexpr std::chrono::seconds daemon_stop_timeout{2};

struct SupervisionOutcome {
    base::ExitStatus qemu;
    // The first share whose daemon exited before qemu did, and how. At a normal end the daemons
    // exit (status 0) as qemu disconnects, so this alone is no failure.
    std::optional<std::string> dead_share;
    base::ExitStatus dead_share_status;
    // qemu did not exit within daemon_exit_grace of that daemon's death, so the supervisor
    // stopped the VM: the guest had lost a file system.
    bool stopped_for_dead_share = false;
    // The signal that asked the runner to stop the VM, or 0.
    int stop_signal = 0;
    // qemu did not exit by itself and was killed.
    bool killed = false;
};

// Runs until qemu has exited and has been reaped. An error (a failed poll or wait) leaves qemu
// to the caller, whose Child kills it.
//   - a stop signal: a stop request on the guest's control port, then SIGKILL after
//   powerdown_timeout
//     (a second stop signal kills at once);
//   - a daemon dying while qemu runs: qemu is terminated (the guest lost a file system).
// Daemons that exit are reaped here; the rest keep running for stop_daemons().
Result<SupervisionOutcome> supervise(base::Child& qemu, std::vector<ShareDaemon>& daemons,
                                     StopSignals& signals, std::string const& control_socket_path);

// Stops every daemon still running: SIGTERM, daemon_stop_timeout, SIGKILL; all are reaped.
void stop_daemons(std::vector<ShareDaemon>& daemons);

} // namespace microvm::runner::qemu
