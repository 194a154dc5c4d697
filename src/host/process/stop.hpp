// Stopping and watching a runner by its identity, from the process that started it or from
// any other (e.g. `microvm stop`, with the identity read back from the VM's state).
#pragma once

#include <chrono>

#include "base/error.hpp"
#include "host/process/identity.hpp"

namespace microvm::process {

enum class StopOutcome {
    // Nothing to stop: no such process, it had already exited, or the PID now belongs to
    // another process (which is never signalled).
    not_running,
    // It exited after SIGTERM, within the timeout.
    terminated,
    // It ignored SIGTERM for the whole timeout and was killed with SIGKILL.
    killed,
};

char const* to_string(StopOutcome outcome);

// How long stop() waits for the kernel to finish a process after SIGKILL before it gives
// up: SIGKILL cannot be ignored, so only a process stuck in the kernel (e.g. on a dead NFS
// mount) takes longer.
inline constexpr std::chrono::seconds kill_grace{10};

// Stops the runner: SIGTERM to the runner (which powers its VM off gracefully and stops what
// it started), then, if it is still running after `timeout`, SIGKILL to its process group (the
// runner and everything it started). Anything of the group left behind after the runner
// itself exited is killed too. Checks the identity first and
// signals nothing when it does not match. Blocks until the runner has exited (it is not
// reaped: a caller that is its parent must still wait for it).
// Fails for a PID below 2 (kill(-1) would reach every process; 0 is our own group), when a
// signal cannot be sent (EPERM), or when the runner is still there `kill_grace` after SIGKILL.
Result<StopOutcome> stop(ProcessIdentity const& identity, std::chrono::milliseconds timeout);

// True while the process behind identity.pid is the runner the identity describes and has not
// exited. False for PIDs below 2.
bool alive(ProcessIdentity const& identity);

// Blocks until the runner described by `identity` has exited (returns at once when it is not
// running). For a process this one did not start: it cannot learn the exit status.
Result<void> wait_for_exit(ProcessIdentity const& identity);

} // namespace microvm::process
