// The qemu-system-x86_64 command line, built from plain data so that it can be tested without
// starting anything.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "contract/runner_config.hpp"

namespace microvm::runner::qemu {

enum class Accelerator { kvm, tcg };

// One vhost-user-fs device: the guest sees `tag`, served by the daemon listening on
// `socket_path`.
struct ShareDevice {
    std::string tag;
    std::string socket_path;
};

struct QemuLaunch {
    std::string binary; // absolute
    std::string machine;
    Accelerator accelerator = Accelerator::tcg;
    std::uint32_t num_vcpus = 1;
    std::uint32_t ram_mib = 0;
    std::string kernel;
    std::string initrd;
    std::string kernel_cmdline_extra;
    // -bios; empty: qemu's default firmware.
    std::string firmware;
    // The guest TSC's rate when known (host_tsc.hpp; TCG only): the guest skips calibrating it.
    std::optional<std::uint32_t> tsc_khz;
    // Where the guest's serial console, the workload's stdout and stderr, and the status report
    // are written. Paths qemu opens itself (/dev/fd/N works for descriptors it inherits).
    std::string console_path;
    std::string stdout_path;
    std::string stderr_path;
    // Under a log cap: the descriptors (in qemu) of stream sockets for the console, stdout and
    // stderr, in that order, whose other ends the runner's capped logs read
    // (runner/output_logs.hpp); qemu writes there instead of to the paths above.
    std::optional<std::array<int, 3>> output_socket_fds;
    std::string status_path;
    // qemu's end of the control port (control_port.hpp), a unix socket it listens on.
    std::string control_socket_path;
    // The runner's listening socket for the exec port (contract::exec_port_name); qemu
    // connects to it, and again a second after the runner drops the connection.
    std::string exec_channel_path;
    // The root share first, then the user's shares.
    std::vector<ShareDevice> shares;
    // user: a virtio-net NIC on qemu's user-mode network (slirp), carrying port_forwards;
    // none: no network device.
    NetworkMode network = NetworkMode::none;
    std::vector<contract::RunnerPortForward> port_forwards;
    // Under an egress policy: the descriptor (in qemu) of a datagram socket to the runner's
    // own network (runner/net/egress_network.hpp), which then carries the port forwards too;
    // the NIC is `-netdev dgram` on it instead of qemu's slirp.
    std::optional<int> egress_network_fd;
};

// "console=ttyS0 quiet panic=-1" plus the extra arguments: the guest reboots on a panic, which
// -no-reboot turns into qemu exiting, so a crashed guest never hangs the runner. Under TCG the
// guest also skips its local APIC timer calibration and timer check, and its TSC calibration
// when `tsc_khz` is known (see qemu_argv.cpp).
std::string kernel_cmdline(Accelerator accelerator, std::optional<std::uint32_t> tsc_khz,
                           std::string_view extra);

// Doubles every comma, as qemu's option parser requires inside a value.
std::string escape_option_value(std::string_view value);

// Whether `machine` is qemu's microvm machine: no PCI bus, so the virtio devices are its
// virtio-mmio ones ("<device>-device" instead of "<device>-pci").
bool is_microvm_machine(std::string_view machine);

// "<device>-device" on microvm, "<device>-pci" elsewhere.
std::string virtio_device(QemuLaunch const& launch, std::string_view device);

// The argv, argv[0] included.
std::vector<std::string> qemu_argv(QemuLaunch const& launch);

} // namespace microvm::runner::qemu
