// The few QMP exchanges the runner needs (https://www.qemu.org/docs/master/interop/qmp-spec.html).
#pragma once

#include <chrono>
#include <string>

#include "base/error.hpp"

namespace microvm::runner::qemu {

// Asks the guest to shut down: connects to qemu's QMP socket, negotiates capabilities, presses
// Ctrl-Alt-Del (microvm-init disables the kernel's immediate reboot on it, so the kernel sends
// it SIGINT: its stop request) and the ACPI power button (for guests that listen to that
// instead). Returns once qemu has accepted both; the guest may take its time, or ignore them,
// so the caller keeps a deadline of its own.
Result<void> request_guest_stop(std::string const& socket_path, std::chrono::milliseconds timeout);

} // namespace microvm::runner::qemu
