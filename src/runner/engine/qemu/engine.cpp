// The qemu engine: virtiofsd per share, qemu-system-x86_64, supervision until the VM ends.
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "base/command.hpp"
#include "base/temp_dir.hpp"
#include "contract/exit_codes.hpp"
#include "contract/guest_protocol.hpp"
#include "runner/engine/engines.hpp"
#include "runner/engine/qemu/accelerator.hpp"
#include "runner/engine/qemu/exit_report.hpp"
#include "runner/engine/qemu/qemu_argv.hpp"
#include "runner/engine/qemu/read_only_view.hpp"
#include "runner/engine/qemu/root_overlay.hpp"
#include "runner/engine/qemu/share_daemon.hpp"
#include "runner/engine/qemu/stop_signals.hpp"
#include "runner/engine/qemu/supervisor.hpp"
#include "runner/engine/qemu/tools.hpp"

namespace microvm::runner::qemu {

namespace {

using contract::RunnerExit;

// Descriptor numbers at which qemu inherits the runner's own stdout and stderr, for the outputs
// runner.json leaves empty ("the runner's own"); qemu opens them as /dev/fd/N.
constexpr int qemu_stdout_fd = 3;
constexpr int qemu_stderr_fd = 4;

int report(RunnerExit code, Error const& error) {
    spdlog::error("{}", error.text());
    return contract::to_int(code);
}

struct Failure {
    RunnerExit code;
    Error error;
};

std::string join(std::vector<std::string> const& argv) {
    std::string line;
    for (auto const& arg : argv) {
        line += line.empty() ? "" : " ";
        line += arg;
    }
    return line;
}

// The runner's scratch directory: sockets, the status file, mountpoints. The root overlay is
// mounted inside it, so it is detached first; if that fails the directory is left behind rather
// than emptied through the mount, which would delete the VM's files.
struct Workspace {
    base::TempDir dir;
    std::optional<OverlayMount> root;

    std::string path(std::string const& name) const { return (dir.path() / name).string(); }

    ~Workspace() {
        if (root && !root->unmount()) {
            spdlog::error("leaving {} behind", dir.release().string());
        }
    }
};

std::string daemon_log_level(std::uint32_t level) {
    // runner.json counts as libkrun does: 0 off, 1 error, 2 warn, 3 info, 4 debug, 5 trace.
    switch (level) {
    case 0:
    case 1:
        return "err";
    case 2:
        return "warn";
    case 3:
        return "info";
    default:
        return "debug";
    }
}

// DESIGN.md §4.1: a read-only share is enforced by the file server, or the VM does not start
// unless the caller accepted guest-only enforcement.
std::expected<HostEnforcement, Failure> read_only_enforcement(SharePlan const& plan,
                                                              VirtiofsdCapabilities const& daemon,
                                                              ReadOnlyPolicy policy) {
    if (daemon.read_only) {
        return HostEnforcement::daemon_flag;
    }
    auto const probe = probe_read_only_view({.source = plan.source, .target = plan.view_dir});
    if (probe) {
        return HostEnforcement::read_only_view;
    }
    if (policy == ReadOnlyPolicy::require_host) {
        return std::unexpected(Failure{
            RunnerExit::config_error,
            Error::message("virtiofs mount \"" + plan.tag +
                           "\" is read-only but the qemu engine cannot enforce it on the host (" +
                           probe.error().text() +
                           "); refusing to start. Allow guest-only enforcement "
                           "(--allow-guest-only-readonly) to run anyway")});
    }
    std::fprintf(stderr,
                 "Warning: virtiofs mount \"%s\" is read-only but qemu has no host-side "
                 "enforcement; relying on guest-side MS_RDONLY\n",
                 plan.tag.c_str());
    return HostEnforcement::none;
}

// The root share first (tag contract::root_share_tag), then the user's, in order.
std::expected<std::vector<SharePlan>, Failure>
plan_shares(contract::RunnerConfig const& config, std::string const& root_source, bool private_root,
            Workspace const& workspace, VirtiofsdCapabilities const& daemon) {
    std::vector<SharePlan> plans;
    plans.push_back({
        .tag = contract::root_share_tag,
        .source = root_source,
        // A private overlay changes only through this VM, so the guest may cache freely.
        .cache = private_root ? "always" : "auto",
        .socket_path = workspace.path("vfs-0.sock"),
        .view_dir = {},
    });
    for (auto const& mount : config.virtiofs_mounts) {
        std::string const index = std::to_string(plans.size());
        SharePlan plan{
            .tag = mount.tag,
            .source = mount.path,
            .cache = "auto",
            .socket_path = workspace.path("vfs-" + index + ".sock"),
            .view_dir = {},
        };
        if (mount.read_only) {
            plan.view_dir = workspace.path("view-" + index);
            if (::mkdir(plan.view_dir.c_str(), 0700) < 0) {
                return std::unexpected(
                    Failure{RunnerExit::start_failed, Error::from_errno("mkdir " + plan.view_dir)});
            }
            auto const enforcement = read_only_enforcement(plan, daemon, config.read_only_policy);
            if (!enforcement) {
                return std::unexpected(enforcement.error());
            }
            plan.enforcement = *enforcement;
        }
        plans.push_back(std::move(plan));
    }
    return plans;
}

// Which exit status the runner reports once the VM has ended (DESIGN.md §4.2).
int runner_status(SupervisionOutcome const& outcome, std::string const& status_path,
                  std::string const& console_log_path) {
    std::string const console =
        console_log_path.empty() ? "the runner's stderr" : "the console log " + console_log_path;
    if (outcome.failed_share) {
        spdlog::error("the VM was stopped because the file server of share \"{}\" died ({})",
                      *outcome.failed_share, outcome.failed_share_status->describe());
        return contract::to_int(RunnerExit::runtime_error);
    }
    auto const reported = read_exit_report(status_path);
    if (!reported) {
        spdlog::error("read the workload's exit status: {}", reported.error().text());
    } else if (*reported) {
        return **reported;
    }
    if (outcome.stop_signal != 0) {
        spdlog::warn("the VM was stopped (SIG{}) before the workload reported an exit status",
                     ::sigabbrev_np(outcome.stop_signal));
        return 128 + outcome.stop_signal;
    }
    if (outcome.qemu.kind == base::ExitStatus::Kind::exited && outcome.qemu.value != 0) {
        spdlog::error("qemu failed ({}); its messages are above, the guest's in {}",
                      outcome.qemu.describe(), console);
        return contract::to_int(RunnerExit::start_failed);
    }
    if (outcome.qemu.kind == base::ExitStatus::Kind::signaled) {
        spdlog::error("qemu was {}", outcome.qemu.describe());
        return contract::to_int(RunnerExit::runtime_error);
    }
    spdlog::error("the guest stopped without reporting the workload's exit status; see {}",
                  console);
    return contract::to_int(RunnerExit::runtime_error);
}

} // namespace

int run(contract::RunnerConfig const& config) {
    // First of all: from here on a stop signal is an event for the supervision loop, not the
    // runner's death in the middle of starting a child.
    auto signals = StopSignals::block();
    if (!signals) {
        return report(RunnerExit::runtime_error, signals.error());
    }

    auto const tools = resolve_tools(config.qemu);
    if (!tools) {
        return report(RunnerExit::engine_init, Error(tools.error()).context("qemu engine"));
    }
    auto const accelerator = choose_accelerator(config.qemu.accel, probe_kvm());
    if (!accelerator) {
        return report(RunnerExit::engine_init, Error(accelerator.error()).context("qemu engine"));
    }
    auto const daemon_capabilities = detect_virtiofsd(tools->virtiofsd);
    if (!daemon_capabilities) {
        return report(RunnerExit::engine_init,
                      Error(daemon_capabilities.error()).context("qemu engine"));
    }

    auto dir = base::TempDir::create("microvm-qemu-");
    if (!dir) {
        return report(RunnerExit::start_failed, dir.error());
    }
    Workspace workspace{.dir = std::move(*dir), .root = std::nullopt};

    // The overlay must be mounted before the root share's daemon starts: the daemon pins its
    // source directory at startup. It is mounted in a namespace of the runner's own, which the
    // daemons inherit, so no one else sees it and it cannot outlive the runner and its children.
    std::string root_source = config.root_path;
    bool const private_root = !config.root_upper_dir.empty();
    if (private_root) {
        if (auto const entered = enter_private_mount_namespace(); !entered) {
            return report(RunnerExit::start_failed,
                          Error(entered.error()).context("mount the VM's root overlay"));
        }
        auto overlay = OverlayMount::mount(config.root_path, config.root_upper_dir,
                                           config.root_work_dir, workspace.path("root"));
        if (!overlay) {
            return report(RunnerExit::start_failed, overlay.error());
        }
        workspace.root.emplace(std::move(*overlay));
        root_source = workspace.root->path();
    }

    auto const plans =
        plan_shares(config, root_source, private_root, workspace, *daemon_capabilities);
    if (!plans) {
        return report(plans.error().code, plans.error().error);
    }
    Virtiofsd const daemon{.binary = tools->virtiofsd,
                           .capabilities = *daemon_capabilities,
                           .log_level = daemon_log_level(config.log_level)};
    // Declared after the workspace: on every return the daemons are killed and reaped before
    // the overlay they serve is detached.
    std::vector<ShareDaemon> daemons;
    for (auto const& plan : *plans) {
        auto started = start_share_daemon(plan, daemon);
        if (!started) {
            return report(
                RunnerExit::start_failed,
                Error(started.error()).context("start virtiofsd for share \"" + plan.tag + "\""));
        }
        daemons.push_back(std::move(*started));
    }

    // qemu's own messages go to the runner's stderr; the runner's stdout and stderr are also
    // handed over for the outputs that runner.json leaves to them.
    std::vector<base::FdMapping> const fds = {{STDERR_FILENO, STDOUT_FILENO},
                                              {STDERR_FILENO, STDERR_FILENO},
                                              {STDOUT_FILENO, qemu_stdout_fd},
                                              {STDERR_FILENO, qemu_stderr_fd}};
    auto output = [](std::string const& path, int qemu_fd) {
        return path.empty() ? "/dev/fd/" + std::to_string(qemu_fd) : path;
    };
    QemuLaunch launch{
        .binary = tools->qemu,
        .machine = config.qemu.machine,
        .accelerator = *accelerator,
        .num_vcpus = config.num_vcpus,
        .ram_mib = config.ram_mib,
        .kernel = tools->kernel,
        .initrd = tools->initrd,
        .kernel_cmdline_extra = config.qemu.kernel_cmdline_extra,
        .console_path = output(config.console_log_path, qemu_stderr_fd),
        .stdout_path = output(config.stdout_path, qemu_stdout_fd),
        .stderr_path = output(config.stderr_path, qemu_stderr_fd),
        .status_path = workspace.path("status"),
        .qmp_socket_path = workspace.path("qmp.sock"),
        .shares = {},
        .port_forwards = config.port_forwards,
    };
    for (auto const& plan : *plans) {
        launch.shares.push_back({.tag = plan.tag, .socket_path = plan.socket_path});
    }

    std::vector<std::string> const argv = qemu_argv(launch);
    spdlog::debug("starting the VM ({}): {}", *accelerator == Accelerator::kvm ? "KVM" : "TCG",
                  join(argv));
    auto qemu = base::spawn({.path = tools->qemu,
                             .argv = argv,
                             .fds = fds,
                             .death_signal = SIGKILL,
                             .before_exec = {}});
    if (!qemu) {
        return report(RunnerExit::start_failed, Error(qemu.error()).context("start qemu"));
    }

    auto const outcome = supervise(*qemu, daemons, *signals, launch.qmp_socket_path);
    stop_daemons(daemons);
    if (!outcome) {
        return report(RunnerExit::runtime_error,
                      Error(outcome.error()).context("supervise the VM"));
    }
    return runner_status(*outcome, launch.status_path, config.console_log_path);
}

} // namespace microvm::runner::qemu
