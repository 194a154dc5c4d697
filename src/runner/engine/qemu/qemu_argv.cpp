#include "runner/engine/qemu/qemu_argv.hpp"

#include "contract/guest_protocol.hpp"
#include "contract/network.hpp"

namespace microvm::runner::qemu {

namespace {

// Output chardevs append: the host creates and follows these files, and truncating them would
// lose what was already there.
std::string file_chardev(std::string const& id, std::string const& path, bool append) {
    return "file,id=" + id + ",path=" + escape_option_value(path) + (append ? ",append=on" : "");
}

// One of the guest's outputs: the runner's socket when the logs are capped, else the file.
std::string output_chardev(QemuLaunch const& launch, std::size_t index, std::string const& id,
                           std::string const& path) {
    if (launch.output_socket_fds) {
        return "socket,id=" + id + ",fd=" + std::to_string((*launch.output_socket_fds)[index]);
    }
    return file_chardev(id, path, true);
}

std::string hostfwd(contract::RunnerPortForward const& forward) {
    std::string address = forward.host_address;
    if (address.find(':') != std::string::npos) {
        address = "[" + address + "]";
    }
    return std::string("hostfwd=") + (forward.protocol == Protocol::udp ? "udp" : "tcp") + ":" +
           address + ":" + std::to_string(forward.host) + "-:" + std::to_string(forward.guest);
}

// The user-mode network, inside qemu's own process: no daemon to supervise, and its addresses
// are the contract's, so they match what the guest was told in /etc/microvm.json. IPv6 is off
// because the guest is configured for IPv4 only. Under an egress policy the NIC's frames go to
// the runner instead, whose own slirp has the same addresses (docs/ARCHITECTURE.md,
// Networking).
std::vector<std::string> network_args(QemuLaunch const& launch) {
    if (launch.network == NetworkMode::none) {
        return {};
    }
    std::string const device = virtio_device(launch, "virtio-net") + ",netdev=net0";
    if (launch.egress_network_fd) {
        return {"-netdev",
                "dgram,id=net0,local.type=fd,local.str=" +
                    std::to_string(*launch.egress_network_fd),
                "-device", device};
    }
    auto const& topology = contract::user_network;
    std::string netdev = std::string("user,id=net0,ipv6=off,net=") + topology.network_cidr +
                         ",host=" + topology.gateway + ",dns=" + topology.dns;
    for (auto const& forward : launch.port_forwards) {
        netdev += "," + hostfwd(forward);
    }
    return {"-netdev", netdev, "-device", device};
}

} // namespace

std::string kernel_cmdline(Accelerator accelerator, std::optional<std::uint32_t> tsc_khz,
                           std::string_view extra) {
    // cryptomgr.notests: Debian's kernel self-tests every crypto algorithm it registers at boot,
    // ~0.3 s of emulated CPU under TCG (docs/BENCHMARKS.md); ignored under fips=1.
    std::string line = "console=ttyS0 quiet panic=-1 cryptomgr.notests";
    if (accelerator == Accelerator::tcg) {
        // Calibrating the local APIC timer spins for 100 ms of emulated time; without it the
        // kernel ticks from the HPET, which TCG emulates just as well. KVM guests get a
        // TSC-deadline timer that needs no calibration, so they keep theirs. no_timer_check:
        // the check for a broken timer interrupt waits out several ticks, on timers qemu
        // emulates correctly.
        line += " noapictimer no_timer_check";
        if (tsc_khz) {
            // The kernel still refines this against the HPET a second into the boot.
            line += " tsc_early_khz=" + std::to_string(*tsc_khz);
        }
    }
    if (!extra.empty()) {
        line += ' ';
        line += extra;
    }
    return line;
}

bool is_microvm_machine(std::string_view machine) {
    return machine == "microvm" || machine.starts_with("microvm,");
}

std::string virtio_device(QemuLaunch const& launch, std::string_view device) {
    return std::string(device) + (is_microvm_machine(launch.machine) ? "-device" : "-pci");
}

std::string escape_option_value(std::string_view value) {
    std::string escaped;
    for (char c : value) {
        escaped += c;
        if (c == ',') {
            escaped += ',';
        }
    }
    return escaped;
}

std::vector<std::string> qemu_argv(QemuLaunch const& launch) {
    std::string const ram = std::to_string(launch.ram_mib) + "M";
    bool const kvm = launch.accelerator == Accelerator::kvm;
    std::vector<std::string> argv = {
        launch.binary,
        "-machine",
        launch.machine,
        "-accel",
        kvm ? "kvm" : "tcg",
        // TCG cannot emulate "host"; "max" is every feature TCG implements.
        "-cpu",
        kvm ? "host" : "max",
        "-m",
        ram,
        "-smp",
        std::to_string(launch.num_vcpus),
        // vhost-user daemons map guest memory, so it must be a shareable file of exactly -m.
        "-object",
        "memory-backend-memfd,id=mem,size=" + ram + ",share=on",
        "-numa",
        "node,memdev=mem",
        "-nodefaults",
        "-no-user-config",
        "-nographic",
        "-no-reboot",
        "-kernel",
        launch.kernel,
        "-initrd",
        launch.initrd,
        "-append",
        kernel_cmdline(launch.accelerator, launch.tsc_khz, launch.kernel_cmdline_extra),
        "-chardev",
        output_chardev(launch, 0, "console", launch.console_path),
        "-serial",
        "chardev:console",
    };
    if (!launch.firmware.empty()) {
        argv.insert(argv.end(), {"-bios", launch.firmware});
    }
    for (std::size_t i = 0; i < launch.shares.size(); ++i) {
        std::string const id = "vfs" + std::to_string(i);
        argv.insert(argv.end(), {"-chardev",
                                 "socket,id=" + id +
                                     ",path=" + escape_option_value(launch.shares[i].socket_path),
                                 "-device",
                                 virtio_device(launch, "vhost-user-fs") + ",chardev=" + id +
                                     ",tag=" + launch.shares[i].tag});
    }
    struct Port {
        std::string chardev;
        char const* id;
        char const* name;
    };
    Port const ports[] = {
        {output_chardev(launch, 1, "stdout", launch.stdout_path), "stdout",
         contract::stdout_port_name},
        {output_chardev(launch, 2, "stderr", launch.stderr_path), "stderr",
         contract::stderr_port_name},
        // The status file belongs to this run alone; a stale report must never be read.
        {file_chardev("status", launch.status_path, false), "status", contract::status_port_name},
    };
    argv.insert(argv.end(), {"-device", virtio_device(launch, "virtio-serial") + ",id=vser0"});
    // The control port first: the guest sees ports in this order, so once it has found the
    // output ports it has this one too.
    argv.insert(argv.end(),
                {"-chardev",
                 "socket,id=control,path=" + escape_option_value(launch.control_socket_path) +
                     ",server=on,wait=off",
                 "-device",
                 std::string("virtserialport,bus=vser0.0,chardev=control,name=") +
                     contract::control_port_name});
    argv.insert(
        argv.end(),
        {"-chardev",
         "socket,id=exec,path=" + escape_option_value(launch.exec_channel_path) + ",reconnect=1",
         "-device",
         std::string("virtserialport,bus=vser0.0,chardev=exec,name=") + contract::exec_port_name});
    for (auto const& port : ports) {
        argv.insert(argv.end(), {"-chardev", port.chardev, "-device",
                                 std::string("virtserialport,bus=vser0.0,chardev=") + port.id +
                                     ",name=" + port.name});
    }
    auto const network = network_args(launch);
    argv.insert(argv.end(), network.begin(), network.end());
    return argv;
}

} // namespace microvm::runner::qemu
