// A request from the host to stop the VM gracefully. The host writes it on the control port
// (contract::control_port_name), which the kernel reports to PID 1 as SIGIO; a SIGTERM to PID 1,
// or SIGINT from Ctrl-Alt-Del on a machine with a keyboard (the kernel sends it to init once
// init has disabled the immediate reboot), count the same. The workload gets SIGTERM, and the
// normal end of the boot (reap, sync, report, power off) follows when it exits.
#pragma once

#include <sys/types.h>

#include <string>

#include "base/error.hpp"

namespace microvm::guest {

// Disables the kernel's immediate Ctrl-Alt-Del reboot and installs the handlers. Call once,
// as PID 1, before the workload starts.
void install_stop_request_handlers();

// Watches the control port at `device` (a virtio-serial port the host writes to): any byte
// that arrives is a stop request. The port is opened non-blocking with O_ASYNC, so the kernel
// signals PID 1 (SIGIO) when data arrives and nothing has to wait on it. Fails when the port
// cannot be opened or set up; stop requests then only arrive as signals.
Result<void> watch_control_port(std::string const& device);

// watch_control_port() on the port named contract::control_port_name among the ports
// discover_ports(class_dir, dev_dir) finds; a missing port or a failure is logged on the
// console (the VM still runs; the host's stop then ends in SIGKILL).
void watch_host_stop_requests(std::string const& class_dir, std::string const& dev_dir);

// From now on a stop request sends SIGTERM to the process group `workload` leads; a request
// that came before is passed on at once.
void forward_stop_requests_to(pid_t workload);

// Whether a stop request has arrived.
bool stop_requested();

} // namespace microvm::guest
