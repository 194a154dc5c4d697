// The virtio-serial ports through which the workload's output and exit status reach the host
// (contract/guest_protocol.hpp). Without udev there are no /dev/virtio-ports/<name> links, so a
// port is found by its name in sysfs and opened through its /dev/vportNpM node.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "base/error.hpp"
#include "base/fd.hpp"

namespace microvm::guest {

// Maps each named port under `class_dir` (/sys/class/virtio-ports: vportNpM/name holds the
// name) to its device node `dev_dir`/vportNpM. Ports without a name are left out; a missing
// `class_dir` (virtio_console not loaded, no ports) gives an empty map.
std::map<std::string, std::string> discover_ports(std::string const& class_dir,
                                                  std::string const& dev_dir);

// The host's ports, each open for writing; a port the host did not configure stays invalid.
struct Ports {
    base::Fd stdout_port;
    base::Fd stderr_port;
    base::Fd status_port;
};

// Opens the ports named in guest_protocol.hpp. The driver adds a port, and later its name, as
// the host announces them, a little after the module loaded and in no fixed order across
// ports, so this looks again until all three have their names or `patience` has passed.
// Missing ports are logged to the console.
Ports open_ports(std::string const& class_dir, std::string const& dev_dir,
                 std::chrono::milliseconds patience);

// Writes contract::encode_exit_status(status) to `port`, waiting up to `patience` for the host end
// to be open. The write is blocking, so it returns only once the host has taken the line.
Result<void> report_status(int port, int status, std::chrono::milliseconds patience);

} // namespace microvm::guest
