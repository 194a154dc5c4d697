// What microvm-init does inside the guest's prepared root, the same for the qemu boot (after
// the switch into the root share) and the libkrun boot (in the root libkrun mounted): the
// hostname, the network, the workload until it ends, and the cleanup before the status is
// reported.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "base/error.hpp"
#include "contract/exit_codes.hpp"
#include "guest/exec_agent.hpp"
#include "guest/new_root.hpp"
#include "guest/workload.hpp"

namespace microvm::guest {

// The status reported when microvm-init itself failed (podman's "the runtime failed").
inline constexpr int boot_failure_status = contract::to_int(contract::CliExit::microvm_error);

// How long the workload's leftover processes get after SIGTERM before SIGKILL.
inline constexpr std::chrono::milliseconds stop_patience{2000};

// Sets the hostname from the config (default "microvm"); returns the name set.
Result<std::string> set_hostname(std::string const& name);

// Configures the network (in the current root: /etc/hosts and /etc/resolv.conf land in the
// guest's writable layer), creates a missing working directory as Docker does, starts the
// workload on `stdout_fd`/`stderr_fd` (stdin is /dev/null), passes host stop requests on to it
// and waits for it. Returns its exit status.
// The exec agent starts first, on `transport` (guest/exec_agent.hpp).
Result<int> run_workload(PreparedRoot const& prepared, std::string const& hostname, int stdout_fd,
                         int stderr_fd, ExecTransport transport);

// Runs a whole boot, turning every way it can fail (an error, or an exception, which escaping
// PID 1 would panic the kernel before any status is reported) into a console line and
// boot_failure_status. Returns the workload's status otherwise.
int run_guarded(std::function<Result<int>()> const& boot);

// Ends what the workload left running and flushes its writes to read-write shares: once the
// host has the status, it may stop the VM at any moment.
void end_leftovers(ProcessOwner owner);

} // namespace microvm::guest
