// The few QMP exchanges the runner needs (https://www.qemu.org/docs/master/interop/qmp-spec.html).
#pragma once

#include <chrono>
#include <string>

#include "base/error.hpp"

namespace microvm::runner::qemu {

// Connects to qemu's QMP socket, negotiates capabilities and sends `system_powerdown`: the guest
// sees an ACPI power button press. Returns once qemu has accepted the command; the guest may
// take its time (or ignore it), so the caller keeps a deadline of its own.
Result<void> request_powerdown(std::string const& socket_path, std::chrono::milliseconds timeout);

} // namespace microvm::runner::qemu
