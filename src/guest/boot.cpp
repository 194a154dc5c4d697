#include "guest/boot.hpp"

#include <fcntl.h>
#include <sys/reboot.h>
#include <unistd.h>

#include <exception>
#include <filesystem>

#include "contract/exit_codes.hpp"
#include "contract/guest_protocol.hpp"
#include "guest/console.hpp"
#include "guest/files.hpp"
#include "guest/initramfs.hpp"
#include "guest/modules.hpp"
#include "guest/mounts.hpp"
#include "guest/network.hpp"
#include "guest/new_root.hpp"
#include "guest/ports.hpp"
#include "guest/stop_request.hpp"
#include "guest/workload.hpp"

namespace microvm::guest {
namespace {

// The status reported when microvm-init itself failed (podman's "the runtime failed").
constexpr int boot_failure_status = static_cast<int>(contract::CliExit::microvm_error);

// Ports normally appear a few milliseconds after virtio_console loads; a host that did not
// configure them should not cost more than this.
constexpr std::chrono::milliseconds port_patience{2000};
// How long the host gets to open its end of the status port before init gives up on it.
constexpr std::chrono::milliseconds status_patience{5000};
// How long the workload's leftover processes get after SIGTERM before SIGKILL.
constexpr std::chrono::milliseconds stop_patience{2000};

constexpr char default_hostname[] = "microvm";

// Returns the name set.
Result<std::string> set_hostname(std::string const& name) {
    std::string const chosen = name.empty() ? std::string(default_hostname) : name;
    if (::sethostname(chosen.data(), chosen.size()) != 0) {
        return fail_errno("sethostname " + chosen);
    }
    return chosen;
}

Result<base::Fd> open_dev_null() {
    base::Fd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!fd) {
        return fail_errno("open /dev/null");
    }
    return fd;
}

// Everything from the root share to the workload's end. Returns the workload's status.
Result<int> boot_and_run(Syscalls& sys, Ports const& ports) {
    std::string const new_root = contract::guest_new_root;
    auto const [config, workload] = TRY(prepare_new_root(sys, new_root));
    auto const hostname = TRY(set_hostname(config.hostname));
    // Last use of the initramfs' files; a failure only costs memory.
    if (auto freed = free_initramfs(); !freed) {
        log("free the initramfs: " + freed.error().text());
    }
    TRY(switch_root(sys, new_root));
    // In the guest's own root: /etc/hosts and /etc/resolv.conf land in its writable layer.
    TRY_CTX(configure_network(config.network, hostname), "network");

    // Docker and podman create a missing working directory rather than fail.
    std::error_code ignored;
    std::filesystem::create_directories(workload.cwd, ignored);
    base::Fd const dev_null = TRY(open_dev_null());
    // A port the host did not configure falls back to the console, where output is still seen.
    WorkloadIo const io{
        .stdin_fd = dev_null.get(),
        .stdout_fd = ports.stdout_port ? ports.stdout_port.get() : STDOUT_FILENO,
        .stderr_fd = ports.stderr_port ? ports.stderr_port.get() : STDERR_FILENO,
    };
    trace("starting the workload");
    pid_t const pid = TRY_CTX(start_workload(workload, io), "start the workload");
    forward_stop_requests_to(pid);
    int const status = wait_for_workload(pid);
    if (stop_requested()) {
        log("the host asked the VM to stop; the workload was sent SIGTERM");
    }
    return status;
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

// boot_and_run(), with every way it can fail turned into a console line and status 125.
int boot_and_run_guarded(Syscalls& sys, Ports const& ports) {
    // An exception escaping PID 1 would panic the kernel before any status is reported.
    try {
        auto result = boot_and_run(sys, ports);
        if (!result) {
            log("boot stopped: " + result.error().text());
            return boot_failure_status;
        }
        log("workload exited with status " + std::to_string(*result));
        return *result;
    } catch (std::exception const& e) {
        log(std::string("boot stopped: internal error: ") + e.what());
        return boot_failure_status;
    }
}

// Ends what the workload left running, flushes its writes to read-write shares, and only then
// tells the host the status: once the host has it, it may stop the VM at any moment.
void finish(Ports const& ports, int status) {
    auto const stopped = stop_remaining_processes(stop_patience);
    if (stopped.reaped > 0) {
        log("ended " + std::to_string(stopped.reaped) + " leftover process(es)" +
            (stopped.needed_sigkill ? ", some only by SIGKILL" : ""));
    }
    trace("leftover processes ended");
    ::sync();
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
        status = boot_and_run_guarded(sys, ports);
    } else {
        log("boot stopped");
    }
    finish(ports, status);
    power_off();
}

} // namespace microvm::guest
