#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "runner/engine/qemu/qemu_argv.hpp"

namespace microvm::runner::qemu {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

QemuLaunch sample() {
    return {
        .binary = "/usr/bin/qemu-system-x86_64",
        .machine = "q35",
        .accelerator = Accelerator::tcg,
        .num_vcpus = 2,
        .ram_mib = 512,
        .kernel = "/boot/vmlinuz",
        .initrd = "/data/initrd",
        .kernel_cmdline_extra = "",
        .console_path = "/vm/console.log",
        .stdout_path = "/vm/stdout",
        .stderr_path = "/vm/stderr",
        .status_path = "/run/x/status",
        .control_socket_path = "/run/x/control.sock",
        .shares = {{"microvm-root", "/run/x/vfs-0.sock"}, {"data", "/run/x/vfs-1.sock"}},
        .port_forwards = {},
    };
}

// The value that follows `option`, the first time it appears.
std::string value_of(std::vector<std::string> const& argv, std::string const& option) {
    auto it = std::find(argv.begin(), argv.end(), option);
    return it == argv.end() || it + 1 == argv.end() ? std::string() : *(it + 1);
}

// Every value that follows `option`.
std::vector<std::string> values_of(std::vector<std::string> const& argv,
                                   std::string const& option) {
    std::vector<std::string> values;
    for (std::size_t i = 0; i + 1 < argv.size(); ++i) {
        if (argv[i] == option) {
            values.push_back(argv[i + 1]);
        }
    }
    return values;
}

TEST(QemuArgv, MachineMemoryAndBoot) {
    auto const argv = qemu_argv(sample());
    EXPECT_EQ(argv.front(), "/usr/bin/qemu-system-x86_64");
    EXPECT_EQ(value_of(argv, "-machine"), "q35");
    EXPECT_EQ(value_of(argv, "-m"), "512M");
    EXPECT_EQ(value_of(argv, "-smp"), "2");
    // vhost-user needs shared guest memory of exactly -m.
    EXPECT_EQ(value_of(argv, "-object"), "memory-backend-memfd,id=mem,size=512M,share=on");
    EXPECT_EQ(value_of(argv, "-numa"), "node,memdev=mem");
    for (char const* flag : {"-nodefaults", "-no-user-config", "-nographic", "-no-reboot"}) {
        EXPECT_THAT(argv, Contains(flag));
    }
    EXPECT_EQ(value_of(argv, "-kernel"), "/boot/vmlinuz");
    EXPECT_EQ(value_of(argv, "-initrd"), "/data/initrd");
    EXPECT_EQ(value_of(argv, "-append"),
              "console=ttyS0 quiet panic=-1 cryptomgr.notests noapictimer no_timer_check");
    EXPECT_EQ(value_of(argv, "-serial"), "chardev:console");
    EXPECT_THAT(values_of(argv, "-chardev"),
                Contains("file,id=console,path=/vm/console.log,append=on"));
    EXPECT_THAT(argv, Not(Contains("-qmp")));
}

TEST(QemuArgv, TcgUsesTheMaxCpuAndKvmTheHostCpu) {
    auto launch = sample();
    auto argv = qemu_argv(launch);
    EXPECT_EQ(value_of(argv, "-accel"), "tcg");
    EXPECT_EQ(value_of(argv, "-cpu"), "max");
    launch.accelerator = Accelerator::kvm;
    argv = qemu_argv(launch);
    EXPECT_EQ(value_of(argv, "-accel"), "kvm");
    EXPECT_EQ(value_of(argv, "-cpu"), "host");
}

TEST(QemuArgv, OneVhostUserFsDevicePerShareInOrder) {
    auto const argv = qemu_argv(sample());
    auto const chardevs = values_of(argv, "-chardev");
    EXPECT_THAT(chardevs, Contains("socket,id=vfs0,path=/run/x/vfs-0.sock"));
    EXPECT_THAT(chardevs, Contains("socket,id=vfs1,path=/run/x/vfs-1.sock"));
    auto devices = values_of(argv, "-device");
    std::vector<std::string> fs;
    std::copy_if(devices.begin(), devices.end(), std::back_inserter(fs),
                 [](auto const& d) { return d.starts_with("vhost-user-fs-pci"); });
    EXPECT_EQ(fs, (std::vector<std::string>{"vhost-user-fs-pci,chardev=vfs0,tag=microvm-root",
                                            "vhost-user-fs-pci,chardev=vfs1,tag=data"}));
}

TEST(QemuArgv, SerialPortsCarryTheGuestProtocolNames) {
    auto const argv = qemu_argv(sample());
    auto const devices = values_of(argv, "-device");
    EXPECT_THAT(devices, Contains("virtio-serial-pci,id=vser0"));
    EXPECT_THAT(devices, Contains("virtserialport,bus=vser0.0,chardev=stdout,name=microvm.stdout"));
    EXPECT_THAT(devices, Contains("virtserialport,bus=vser0.0,chardev=stderr,name=microvm.stderr"));
    EXPECT_THAT(devices, Contains("virtserialport,bus=vser0.0,chardev=status,name=microvm.status"));
    auto const chardevs = values_of(argv, "-chardev");
    EXPECT_THAT(chardevs, Contains("file,id=stdout,path=/vm/stdout,append=on"));
    EXPECT_THAT(chardevs, Contains("file,id=stderr,path=/vm/stderr,append=on"));
    // Truncated, so that a stale report can never be read.
    EXPECT_THAT(chardevs, Contains("file,id=status,path=/run/x/status"));
}

TEST(QemuArgv, TheControlPortIsTheFirstPortAndAServerSocket) {
    auto const argv = qemu_argv(sample());
    auto const devices = values_of(argv, "-device");
    auto const first_port = std::find_if(devices.begin(), devices.end(), [](auto const& d) {
        return d.starts_with("virtserialport");
    });
    ASSERT_NE(first_port, devices.end());
    EXPECT_EQ(*first_port, "virtserialport,bus=vser0.0,chardev=control,name=microvm.control");
    EXPECT_THAT(values_of(argv, "-chardev"),
                Contains("socket,id=control,path=/run/x/control.sock,server=on,wait=off"));
}

// -M microvm has no PCI bus: every virtio device is its virtio-mmio variant.
TEST(QemuArgv, OnMicrovmTheDevicesAreVirtioMmio) {
    auto launch = sample();
    launch.machine = "microvm";
    launch.network = NetworkMode::user;
    auto const argv = qemu_argv(launch);
    auto const devices = values_of(argv, "-device");
    EXPECT_THAT(devices, Contains("vhost-user-fs-device,chardev=vfs0,tag=microvm-root"));
    EXPECT_THAT(devices, Contains("virtio-serial-device,id=vser0"));
    EXPECT_THAT(devices, Contains("virtio-net-device,netdev=net0"));
    for (auto const& device : devices) {
        EXPECT_THAT(device, Not(HasSubstr("-pci")));
    }
    EXPECT_TRUE(is_microvm_machine("microvm,acpi=on"));
    EXPECT_FALSE(is_microvm_machine("microvmx"));
    EXPECT_FALSE(is_microvm_machine("q35"));
}

TEST(QemuArgv, NetworkNoneHasNoNetworkDevice) {
    auto launch = sample();
    launch.network = NetworkMode::none;
    auto const argv = qemu_argv(launch);
    EXPECT_THAT(argv, Not(Contains("-netdev")));
    for (auto const& device : values_of(argv, "-device")) {
        EXPECT_THAT(device, Not(HasSubstr("virtio-net")));
    }
}

TEST(QemuArgv, UserNetworkUsesTheContractsTopology) {
    auto launch = sample();
    launch.network = NetworkMode::user;
    auto const argv = qemu_argv(launch);
    EXPECT_EQ(value_of(argv, "-netdev"),
              "user,id=net0,ipv6=off,net=10.0.2.0/24,host=10.0.2.2,dns=10.0.2.3");
    EXPECT_THAT(values_of(argv, "-device"), Contains("virtio-net-pci,netdev=net0"));
}

TEST(QemuArgv, PortForwardsBecomeHostfwdRules) {
    auto launch = sample();
    launch.network = NetworkMode::user;
    launch.port_forwards = {
        {.host = 8080, .guest = 80, .protocol = Protocol::tcp, .host_address = "127.0.0.1"},
        {.host = 5353, .guest = 53, .protocol = Protocol::udp, .host_address = "0.0.0.0"},
    };
    auto const argv = qemu_argv(launch);
    EXPECT_EQ(value_of(argv, "-netdev"),
              "user,id=net0,ipv6=off,net=10.0.2.0/24,host=10.0.2.2,dns=10.0.2.3,"
              "hostfwd=tcp:127.0.0.1:8080-:80,hostfwd=udp:0.0.0.0:5353-:53");
}

// Under an egress policy the NIC's frames go to the runner's own network over an inherited
// datagram socket; qemu runs no slirp of its own.
TEST(QemuArgv, EgressPolicyHandsTheNicToTheRunner) {
    auto launch = sample();
    launch.network = NetworkMode::user;
    launch.egress_network_fd = 5;
    auto const argv = qemu_argv(launch);
    EXPECT_EQ(value_of(argv, "-netdev"), "dgram,id=net0,local.type=fd,local.str=5");
    EXPECT_THAT(values_of(argv, "-device"), Contains("virtio-net-pci,netdev=net0"));
}

TEST(QemuArgv, CommasInPathsAreDoubled) {
    auto launch = sample();
    launch.console_path = "/vm,1/console.log";
    launch.shares[1].socket_path = "/run/a,b/vfs-1.sock";
    auto const chardevs = values_of(qemu_argv(launch), "-chardev");
    EXPECT_THAT(chardevs, Contains("file,id=console,path=/vm,,1/console.log,append=on"));
    EXPECT_THAT(chardevs, Contains("socket,id=vfs1,path=/run/a,,b/vfs-1.sock"));
}

TEST(QemuArgv, KernelCommandLineExtraIsAppended) {
    EXPECT_EQ(kernel_cmdline(Accelerator::kvm, std::nullopt, ""),
              "console=ttyS0 quiet panic=-1 cryptomgr.notests");
    EXPECT_EQ(kernel_cmdline(Accelerator::kvm, 2'096'017, "microvm.debug loglevel=7"),
              "console=ttyS0 quiet panic=-1 cryptomgr.notests microvm.debug loglevel=7");
}

TEST(QemuArgv, UnderTcgTheGuestSkipsItsApicTimer) {
    EXPECT_EQ(kernel_cmdline(Accelerator::tcg, std::nullopt, "x"),
              "console=ttyS0 quiet panic=-1 cryptomgr.notests noapictimer no_timer_check x");
    // A known TSC rate spares the guest its calibration; a KVM guest ignores it (above).
    EXPECT_EQ(kernel_cmdline(Accelerator::tcg, 2'096'017, ""),
              "console=ttyS0 quiet panic=-1 cryptomgr.notests noapictimer no_timer_check "
              "tsc_early_khz=2096017");
    auto launch = sample();
    EXPECT_THAT(value_of(qemu_argv(launch), "-append"), HasSubstr(" noapictimer"));
    launch.accelerator = Accelerator::kvm;
    EXPECT_THAT(value_of(qemu_argv(launch), "-append"), Not(HasSubstr("noapictimer")));
}

TEST(QemuArgv, FirmwareOnlyWhenGiven) {
    auto launch = sample();
    EXPECT_THAT(qemu_argv(launch), Not(Contains("-bios")));
    launch.firmware = "/usr/share/qemu/qboot.rom";
    EXPECT_EQ(value_of(qemu_argv(launch), "-bios"), "/usr/share/qemu/qboot.rom");
}

} // namespace
} // namespace microvm::runner::qemu
