// The stop request to the guest: a line on the virtio-serial port contract::control_port_name,
// which qemu serves on a unix socket (qemu_argv.hpp). microvm-init reads it as its stop request
// (src/guest/stop_request.hpp). Unlike Ctrl-Alt-Del over QMP it needs no keyboard controller,
// which -M microvm does not have and the microvm kernel does not build, and unlike the ACPI
// power button it needs no daemon in the guest.
#pragma once

#include <chrono>
#include <string>

#include "base/error.hpp"
#include "base/fd.hpp"

namespace microvm::runner::qemu {

// Connects to qemu's end of the control port and writes contract::control_stop_request.
// Returns the connection once the line is written: the caller keeps it open until qemu has
// exited, because qemu drops what it has not yet passed to the guest when the host end closes
// (the guest may not have opened its end yet). The guest may take its time or ignore the
// request, so the caller keeps a deadline of its own.
Result<base::Fd> request_guest_stop(std::string const& socket_path,
                                    std::chrono::milliseconds timeout);

} // namespace microvm::runner::qemu
