// Process file descriptors: a handle on one process that, unlike its PID, can never come to
// mean a later process that was given the same number.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>

#include "base/error.hpp"
#include "base/fd.hpp"

namespace microvm::process {

// base::sys::pidfd_open(), with std::nullopt when there is no process `pid`.
Result<std::optional<base::Fd>> open_pidfd(pid_t pid);

enum class GroupSignalMethod {
    // Linux >= 6.9 signals the pidfd's group in one call; older kernels fall back to
    // `checked_kill`.
    automatic,
    // kill(-pid) after a signal-0 probe through the pidfd shows the leader unreaped: until it is
    // reaped its PID, which is also the group's ID, cannot be given to anyone else.
    checked_kill,
};

// Sends `signal` to the process group led by the process behind `pidfd` (whose PID is `pid`).
// Returns false when nothing was signalled: the group is empty or, with checked_kill, the
// leader has been reaped. Fails when the signal cannot be sent (e.g. EPERM).
Result<bool> signal_group(base::Fd const& pidfd, pid_t pid, int signal,
                          GroupSignalMethod method = GroupSignalMethod::automatic);

// Sends `signal` to the process behind `pidfd` alone (pidfd_send_signal: never to a later
// holder of its PID). Returns false when it has exited. Fails when the signal cannot be sent.
Result<bool> signal_process(base::Fd const& pidfd, pid_t pid, int signal);

// Waits until the process behind `pidfd` has exited (reaped or not). Returns false when
// `timeout` passes first; std::nullopt waits without limit.
Result<bool> wait_pidfd(base::Fd const& pidfd, std::optional<std::chrono::milliseconds> timeout);

} // namespace microvm::process
