// A request from the host to stop the VM gracefully, delivered to PID 1 as a signal: SIGINT
// when the host presses Ctrl-Alt-Del (QMP "send-key ctrl-alt-delete"; the kernel sends it to
// init once init has disabled the immediate reboot), or SIGTERM. The workload gets SIGTERM, and
// the normal end of the boot (reap, sync, report, power off) follows when it exits.
#pragma once

#include <sys/types.h>

namespace microvm::guest {

// Disables the kernel's immediate Ctrl-Alt-Del reboot and installs the handlers. Call once,
// as PID 1, before the workload starts.
void install_stop_request_handlers();

// From now on a stop request sends SIGTERM to the process group `workload` leads; a request
// that came before is passed on at once.
void forward_stop_requests_to(pid_t workload);

// Whether a stop request has arrived.
bool stop_requested();

} // namespace microvm::guest
