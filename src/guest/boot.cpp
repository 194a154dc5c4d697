#include "guest/boot.hpp"

#include <fcntl.h>
#include <sys/reboot.h>
#include <unistd.h>

#include "contract/exit_codes.hpp"
#include "contract/guest_protocol.hpp"
#include "guest/console.hpp"
#include "guest/files.hpp"
#include "guest/in_root.hpp"
#include "guest/initramfs.hpp"
#include "guest/modules.hpp"
#include "guest/mounts.hpp"
#include "guest/ports.hpp"
#include "guest/stop_request.hpp"

namespace microvm::guest {
namespace {

// Ports normally appear a few milliseconds after virtio_console loads; a host that did not
// configure them should not cost more than this.
constexpr std::chrono::milliseconds port_patience{2000};
// How long the host gets to open its end of the status port before init gives up on it.
constexpr std::chrono::milliseconds status_patience{5000};

// Everything from the root share to the workload's end. Returns the workload's status.
Result<int> boot_and_run(Syscalls& sys, Ports const& ports) {
    std::string const new_root = contract::guest_new_root;
    auto const prepared = TRY(prepare_new_root(sys, new_root));
    auto const hostname = TRY(set_hostname(prepared.config.hostname));
    // Last use of the initramfs' files; a failure only costs memory.
    if (auto freed = free_initramfs(); !freed) {
        log("free the initramfs: " + freed.error().text());
    }
    TRY(switch_root(sys, new_root));
    // A port the host did not configure falls back to the console, where output is still seen.
    return run_workload(
        prepared, hostname, ports.stdout_port ? ports.stdout_port.get() : STDOUT_FILENO,
        ports.stderr_port ? ports.stderr_port.get() : STDERR_FILENO, ExecTransport::virtio_port);
}

// In the initramfs: /dev (for the console), /proc and /sys, tracing, the kernel modules.
Result<void> prepare_initramfs(Syscalls& sys) {
    auto mounted = mount_all(sys, "", initramfs_mounts());
    // Even when a mount failed: devtmpfs may still have given us /dev/console.
    ensure_console();
    TRY_CTX(std::move(mounted), "initramfs mounts");
    if (auto const cmdline = read_optional_file("/proc/cmdline"); cmdline && *cmdline) {
        enable_trace(cmdline_has_word(**cmdline, trace_word));
    }
    trace("init started");
    TRY_CTX(load_listed_modules(contract::initramfs_module_list, contract::initramfs_module_dir),
            "load modules");
    trace("modules loaded");
    return {};
}

// Ends what the workload left running, flushes its writes to read-write shares, and only then
// tells the host the status: once the host has it, it may stop the VM at any moment.
void finish(Ports const& ports, int status) {
    end_leftovers(ProcessOwner::pid1);
    if (ports.status_port) {
        if (auto reported = report_status(ports.status_port.get(), status, status_patience);
            !reported) {
            log("report status: " + reported.error().text());
        }
    }
    trace("powering off");
}

[[noreturn]] void power_off() {
    ::reboot(RB_POWER_OFF);
    // Returning from PID 1 panics the kernel, which with panic=-1 and -no-reboot also ends the VM.
    log(Error::from_errno("reboot(RB_POWER_OFF)").text());
    _exit(boot_failure_status);
}

} // namespace

int run_as_pid1() {
    LinuxSyscalls sys;
    install_stop_request_handlers();
    auto const prepared = prepare_initramfs(sys);
    if (!prepared) {
        log(prepared.error().text());
    }
    // Opened even after a failure, so that the failure is reported if the console module loaded.
    Ports const ports = open_ports("/sys/class/virtio-ports", "/dev", port_patience);
    watch_host_stop_requests("/sys/class/virtio-ports", "/dev");
    trace("ports open");
    int status = boot_failure_status;
    if (prepared) {
        status = run_guarded([&] { return boot_and_run(sys, ports); });
    } else {
        log("boot stopped");
    }
    finish(ports, status);
    power_off();
}

} // namespace microvm::guest
