// The qemu engine: one virtiofsd per share, qemu-system-x86_64, supervision until the VM ends.
//
// Exit statuses (DESIGN.md §4.2): the workload's status as microvm-init reported it; 125 for a
// read-only share that cannot be enforced under "require-host"; 3 when qemu, the kernel, the
// initrd or virtiofsd is missing (or KVM was demanded and is unusable); 2 when the VM could not
// be started; 1 when it ended without a report, or a file server died under it; 128+N when
// signal N stopped it before the workload reported.
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <future>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "base/command.hpp"
#include "base/subreaper.hpp"
#include "base/temp_dir.hpp"
#include "contract/exec_channel.hpp"
#include "contract/exit_codes.hpp"
#include "contract/guest_protocol.hpp"
#include "runner/engine/engines.hpp"
#include "runner/engine/qemu/accelerator.hpp"
#include "runner/engine/qemu/exit_report.hpp"
#include "runner/engine/qemu/failure.hpp"
#include "runner/engine/qemu/host_tsc.hpp"
#include "runner/engine/qemu/privilege_refusals.hpp"
#include "runner/engine/qemu/qemu_argv.hpp"
#include "runner/engine/qemu/read_only_view.hpp"
#include "runner/engine/qemu/share_daemon.hpp"
#include "runner/engine/qemu/stop_signals.hpp"
#include "runner/engine/qemu/supervisor.hpp"
#include "runner/engine/qemu/tools.hpp"
#include "runner/exec_relay.hpp"
#include "runner/layer_disk.hpp"
#include "runner/net/egress_network.hpp"
#include "runner/output_logs.hpp"
#include "runner/private_mounts.hpp"
#include "runner/privileged_files_policy.hpp"
#include "runner/read_only_policy.hpp"
#include "runner/reporter.hpp"

namespace microvm::runner::qemu {

namespace {

using contract::RunnerExit;

// Descriptor numbers at which qemu inherits the runner's own stdout and stderr, for the outputs
// runner.json leaves empty ("the runner's own"); qemu opens them as /dev/fd/N.
constexpr int qemu_stdout_fd = 3;
constexpr int qemu_stderr_fd = 4;
// ...and the runner's network's end of the VM's NIC, under an egress policy.
constexpr int qemu_network_fd = 5;
// Under a log cap: qemu's ends of the output logs' sockets (console, stdout, stderr).
constexpr std::array<int, OutputLogs::count> qemu_output_fds = {6, 7, 8};

std::string join(std::vector<std::string> const& argv) {
    std::string line;
    for (auto const& arg : argv) {
        line += line.empty() ? "" : " ";
        line += arg;
    }
    return line;
}

// Removes everything in `dir`, keeping `dir` itself. Does not follow symlinks.
void empty_directory(std::filesystem::path const& dir) noexcept {
    std::error_code error;
    for (auto it = std::filesystem::directory_iterator(dir, error);
         !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
        std::error_code ignored;
        std::filesystem::remove_all(it->path(), ignored);
    }
}

// The runner's scratch directory: sockets, the status file, mountpoints. It is the host's
// runtime_dir when runner.json names one (emptied at the end, not removed: it is the host's),
// else a temporary directory of the engine's own. The root overlay is mounted inside it, so it
// is detached first; if that fails the directory is left as it is rather than emptied through
// the mount, which would delete the VM's files.
struct Workspace {
    std::filesystem::path dir;
    // Set when `dir` is the engine's own: removed with its contents at the end.
    std::optional<base::TempDir> temp;
    // Declared before the root overlay on it, so it is unmounted after.
    std::optional<LayerDiskMount> disk;
    std::optional<OverlayMount> root;

    std::string path(std::string const& name) const { return (dir / name).string(); }

    ~Workspace() {
        if (root && !root->unmount()) {
            if (temp) {
                (void)temp->release();
            }
            std::fprintf(stderr, "microvm-runner: leaving %s behind\n", dir.c_str());
            return;
        }
        if (!temp) {
            empty_directory(dir);
        }
    }
};

// Reaps what the daemons leave behind (see base/subreaper.hpp). Declared after the workspace
// and before any Child, so it runs once every child has been reaped and before the workspace
// is removed.
struct OrphanReaper {
    OrphanReaper() = default;
    OrphanReaper(OrphanReaper const&) = delete;
    OrphanReaper& operator=(OrphanReaper const&) = delete;
    ~OrphanReaper() { base::reap_orphans(daemon_stop_timeout); }
};

// Without a runtime_dir from the host: a directory under $TMPDIR, unless that is too deep for
// the sockets inside (contract::max_runtime_dir_length), then under /tmp. With one: nothing to
// create, but a runner killed before this one may have left its sockets and mountpoint there.
Result<std::optional<base::TempDir>> create_workspace_dir(contract::RunnerConfig const& config) {
    if (!config.runtime_dir.empty()) {
        empty_directory(config.runtime_dir);
        return std::nullopt;
    }
    constexpr char prefix[] = "microvm-qemu-";
    constexpr std::size_t name_length = sizeof("/microvm-qemu-XXXXXX") - 1;
    char const* tmpdir = std::getenv("TMPDIR");
    if (tmpdir != nullptr && *tmpdir != '\0' &&
        std::strlen(tmpdir) + name_length <= contract::max_runtime_dir_length) {
        return TRY(base::TempDir::create(tmpdir, prefix));
    }
    return TRY(base::TempDir::create("/tmp", prefix));
}

std::string daemon_log_level(std::uint32_t level) {
    // runner.json counts as libkrun does: 0 off, 1 error, 2 warn, 3 info, 4 debug, 5 trace.
    // virtiofsd's own "info" traces every connection event, so it starts one level later.
    if (level <= 1) {
        return "err";
    }
    if (level <= 3) {
        return "warn";
    }
    return level == 4 ? "info" : "debug";
}

// The checks that need nothing started: exit 3 (or 125) before any process or directory exists.
struct Preflight {
    QemuTools tools;
    Accelerator accelerator;
    VirtiofsdCapabilities daemon;
    std::optional<std::uint32_t> tsc_khz;
};

// How long the host's TSC is timed: a rate within 0.01 %, and hidden behind the virtiofsd probe.
constexpr std::chrono::milliseconds tsc_measurement{10};

Step<Preflight> preflight(contract::RunnerConfig const& config) {
    QemuTools tools = TRY(as_step(resolve_tools(config.qemu), RunnerExit::engine_init));
    // Only "kvm" can fail on a valid setting (no usable /dev/kvm); any other failure is a value
    // the engine does not know.
    Accelerator const accelerator = TRY(
        as_step(choose_accelerator(config.qemu.accel, probe_kvm()),
                config.qemu.accel == "kvm" ? RunnerExit::engine_init : RunnerExit::config_error));
    // A TCG guest's TSC runs at the host's rate (host_tsc.hpp), timed while virtiofsd answers.
    std::future<std::optional<std::uint32_t>> tsc_khz;
    if (accelerator == Accelerator::tcg) {
        tsc_khz = std::async(std::launch::async, measure_host_tsc_khz, tsc_measurement);
    }
    auto daemon = as_step(detect_virtiofsd(tools.virtiofsd), RunnerExit::engine_init);
    std::optional<std::uint32_t> const measured =
        tsc_khz.valid() ? tsc_khz.get() : std::optional<std::uint32_t>();
    return Preflight{.tools = std::move(tools),
                     .accelerator = accelerator,
                     .daemon = TRY(std::move(daemon)),
                     .tsc_khz = measured};
}

// The overlay is mounted in a namespace of the runner's own, which the daemons inherit: no one
// else sees it, and it cannot outlive the runner and its children.
Step<std::string> mount_root(contract::RunnerConfig const& config, Workspace& workspace) {
    if (config.root_upper_dir.empty()) {
        return config.root_path;
    }
    TRY(as_step(enter_private_mount_namespace(), RunnerExit::start_failed,
                "mount the VM's root overlay"));
    if (!config.root_disk_image.empty()) {
        workspace.disk.emplace(TRY(
            as_step(LayerDiskMount::mount(config.root_disk_image, layer_disk_mountpoint(config)),
                    RunnerExit::start_failed)));
    }
    workspace.root.emplace(
        TRY(as_step(OverlayMount::mount(config.root_path, config.root_upper_dir,
                                        config.root_work_dir, workspace.path("root")),
                    RunnerExit::start_failed)));
    return workspace.root->path();
}

// How the file server can keep a read-only share read-only, or why it cannot; what that means
// is runner/read_only_policy.hpp's decision, the same for every engine.
Step<HostEnforcement> read_only_enforcement(SharePlan const& plan,
                                            VirtiofsdCapabilities const& daemon,
                                            ReadOnlyPolicy policy) {
    if (daemon.read_only) {
        return HostEnforcement::daemon_flag;
    }
    auto const probe = probe_read_only_view({.source = plan.source, .target = plan.view_dir});
    bool const host_enforced =
        TRY(decide_read_only(contract::Engine::qemu, plan.tag, probe, policy));
    return host_enforced ? HostEnforcement::read_only_view : HostEnforcement::none;
}

// The root share first (tag contract::root_share_tag), then the user's, in order.
Step<std::vector<SharePlan>> plan_shares(contract::RunnerConfig const& config,
                                         std::string const& root_source, Workspace const& workspace,
                                         VirtiofsdCapabilities const& daemon) {
    bool const private_root = !config.root_upper_dir.empty();
    // At debug level the daemons' output is part of the trace; otherwise it is kept aside.
    auto log_path = [&](std::string const& index) {
        return config.log_level >= 4 ? std::string() : workspace.path("vfs-" + index + ".log");
    };
    std::vector<SharePlan> plans;
    plans.push_back({
        .tag = contract::root_share_tag,
        .source = root_source,
        .read_only = false,
        .enforcement = HostEnforcement::none,
        // A private overlay changes only through this VM, so the guest may cache freely.
        .cache = private_root ? "always" : "auto",
        .socket_path = workspace.path("vfs-0.sock"),
        .view_dir = {},
        .log_path = log_path("0"),
    });
    for (auto const& mount : config.virtiofs_mounts) {
        std::string const index = std::to_string(plans.size());
        SharePlan plan{
            .tag = mount.tag,
            .source = mount.path,
            .read_only = mount.read_only,
            .enforcement = HostEnforcement::none,
            .cache = "auto",
            .socket_path = workspace.path("vfs-" + index + ".sock"),
            .view_dir = {},
            .log_path = log_path(index),
        };
        if (!mount.read_only) {
            TRY(require_privilege_refusals(contract::Engine::qemu, mount,
                                           {.setuid = true, .devices = true}));
            plan.privileges = PrivilegeRules{.allow_setuid = mount.allow_setuid,
                                             .allow_devices = mount.allow_devices};
        } else {
            plan.view_dir = workspace.path("view-" + index);
            if (::mkdir(plan.view_dir.c_str(), 0700) < 0) {
                return failure(RunnerExit::start_failed,
                               Error::from_errno("mkdir " + plan.view_dir));
            }
            plan.enforcement = TRY(read_only_enforcement(plan, daemon, config.read_only_policy));
        }
        plans.push_back(std::move(plan));
    }
    return plans;
}

Step<std::vector<ShareDaemon>> start_daemons(std::vector<SharePlan> const& plans,
                                             Virtiofsd const& daemon) {
    std::vector<ShareDaemon> daemons;
    for (auto const& plan : plans) {
        daemons.push_back(TRY(as_step(start_share_daemon(plan, daemon), RunnerExit::start_failed,
                                      "start virtiofsd for share \"" + plan.tag + "\"")));
    }
    return daemons;
}

// Answers the read-write shares' privilege filters from before qemu starts: a daemon whose
// filtered call went unanswered would stall the guest's file system.
Step<PrivilegeRefusals> answer_privilege_filters(std::vector<ShareDaemon>& daemons) {
    std::vector<FilteredShare> filtered;
    for (auto& daemon : daemons) {
        if (daemon.privilege_filter) {
            filtered.push_back(std::move(*daemon.privilege_filter));
            daemon.privilege_filter.reset();
        }
    }
    return as_step(PrivilegeRefusals::start(std::move(filtered)), RunnerExit::start_failed,
                   "answer the file servers' privilege filters");
}

QemuLaunch describe_vm(contract::RunnerConfig const& config, Preflight const& checked,
                       Workspace const& workspace, std::vector<SharePlan> const& plans) {
    auto output = [](std::string const& path, int qemu_fd) {
        return path.empty() ? "/dev/fd/" + std::to_string(qemu_fd) : path;
    };
    QemuLaunch launch{
        .binary = checked.tools.qemu,
        .machine = config.qemu.machine,
        .accelerator = checked.accelerator,
        .num_vcpus = config.num_vcpus,
        .ram_mib = config.ram_mib,
        .kernel = checked.tools.kernel,
        .initrd = checked.tools.initrd,
        .kernel_cmdline_extra = config.qemu.kernel_cmdline_extra,
        .firmware = checked.tools.firmware,
        .tsc_khz = checked.tsc_khz,
        .console_path = output(config.console_log_path, qemu_stderr_fd),
        .stdout_path = output(config.stdout_path, qemu_stdout_fd),
        .stderr_path = output(config.stderr_path, qemu_stderr_fd),
        .status_path = workspace.path("status"),
        .control_socket_path = workspace.path("control.sock"),
        .exec_channel_path = workspace.path(exec_agent_socket_name),
        .shares = {},
        .network = config.network,
        .port_forwards = config.port_forwards,
        .egress_network_fd = std::nullopt,
    };
    if (config.egress && config.network == NetworkMode::user) {
        // The runner's network carries the forwards.
        launch.egress_network_fd = qemu_network_fd;
        launch.port_forwards.clear();
    }
    for (auto const& plan : plans) {
        launch.shares.push_back({.tag = plan.tag, .socket_path = plan.socket_path});
    }
    return launch;
}

// Under an egress policy: the runner's own network, ready (published ports bound, the upstream
// resolver configured) before qemu starts; nullopt without a policy.
Step<std::optional<net::EgressNetwork>> start_egress_network(contract::RunnerConfig const& config,
                                                             Reporter& reporter) {
    if (!config.egress || config.network != NetworkMode::user) {
        return std::nullopt;
    }
    auto network =
        TRY(as_step(net::EgressNetwork::start({.policy = *config.egress,
                                               .forwards = config.port_forwards,
                                               .on_counters =
                                                   [&reporter](EgressCounters const& counters) {
                                                       reporter.egress_counters_changed(counters);
                                                   }}),
                    RunnerExit::start_failed, "egress policy"));
    reporter.amend([](contract::RunnerReport& report) { report.egress = EgressCounters{}; });
    return std::optional<net::EgressNetwork>(std::move(network));
}

// Under a log cap (runner.json log_max_size): the runner's own writer of the output logs, ready
// before qemu starts; nullopt when qemu writes the files itself.
Step<std::optional<OutputLogs>> start_output_logs(contract::RunnerConfig const& config,
                                                  Reporter& reporter) {
    if (config.log_max_size == 0 || config.console_log_path.empty() || config.stdout_path.empty() ||
        config.stderr_path.empty()) {
        return std::nullopt;
    }
    auto logs = TRY(as_step(OutputLogs::start({.paths = {config.console_log_path,
                                                         config.stdout_path, config.stderr_path},
                                               .max_size = config.log_max_size,
                                               .on_dropped =
                                                   [&reporter](LogDrops const& dropped) {
                                                       reporter.logs_dropped_changed(dropped);
                                                   }}),
                            RunnerExit::start_failed, "the output logs"));
    return std::optional<OutputLogs>(std::move(logs));
}

Step<base::Child> start_qemu(QemuLaunch const& launch, std::optional<net::EgressNetwork>& network,
                             std::optional<OutputLogs>& logs) {
    std::vector<std::string> const argv = qemu_argv(launch);
    spdlog::debug("starting the VM ({}): {}",
                  launch.accelerator == Accelerator::kvm ? "KVM" : "TCG", join(argv));
    // qemu's own messages go to the runner's stderr; the runner's stdout and stderr are also
    // handed over for the outputs runner.json leaves to them.
    std::vector<base::FdMapping> fds = {{STDERR_FILENO, STDOUT_FILENO},
                                        {STDERR_FILENO, STDERR_FILENO},
                                        {STDOUT_FILENO, qemu_stdout_fd},
                                        {STDERR_FILENO, qemu_stderr_fd}};
    if (network) {
        fds.push_back({network->vm_end().get(), qemu_network_fd});
    }
    if (logs) {
        for (std::size_t i = 0; i < OutputLogs::count; ++i) {
            fds.push_back({logs->vm_end(i).get(), qemu_output_fds[i]});
        }
    }
    auto qemu = TRY(as_step(base::spawn({.path = launch.binary,
                                         .argv = argv,
                                         .fds = fds,
                                         .death_signal = SIGKILL,
                                         .before_exec = {}}),
                            RunnerExit::start_failed, "start qemu"));
    if (network) {
        // qemu holds the VM's end now; the runner's copy would keep it open after qemu exits.
        network->vm_end().reset();
    }
    if (logs) {
        // Only qemu may hold them, or the logs would never see the end of the output.
        for (std::size_t i = 0; i < OutputLogs::count; ++i) {
            logs->vm_end(i).reset();
        }
    }
    return qemu;
}

// ": <the daemon's last lines>" for the share, when it left any.
std::string daemon_said(std::vector<SharePlan> const& plans, std::string const& tag) {
    for (auto const& plan : plans) {
        if (plan.tag == tag) {
            std::string const tail = daemon_log_tail(plan.log_path);
            return tail.empty() ? "" : "; it said:\n" + tail;
        }
    }
    return {};
}

// What the VM's end means for the runner's exit status (see the top of this file).
Step<int> vm_status(SupervisionOutcome const& outcome, std::vector<SharePlan> const& plans,
                    std::string const& status_path, std::string const& console_log_path) {
    std::string const console =
        console_log_path.empty() ? "the runner's stderr" : "the console log " + console_log_path;
    if (outcome.stopped_for_dead_share) {
        return failure(RunnerExit::runtime_error,
                       "the file server of share \"" + *outcome.dead_share + "\" died (" +
                           outcome.dead_share_status.describe() + "); the VM was stopped" +
                           daemon_said(plans, *outcome.dead_share));
    }
    auto const reported = TRY(as_step(read_exit_report(status_path), RunnerExit::runtime_error,
                                      "read the workload's exit status"));
    if (reported) {
        return *reported;
    }
    if (outcome.stop_signal != 0) {
        spdlog::warn("the VM was stopped (SIG{}) before the workload reported an exit status",
                     ::sigabbrev_np(outcome.stop_signal));
        return 128 + outcome.stop_signal;
    }
    if (outcome.qemu.kind == base::ExitStatus::Kind::exited && outcome.qemu.value != 0) {
        std::string daemon;
        if (outcome.dead_share && !outcome.dead_share_status.success()) {
            daemon = "; virtiofsd for share \"" + *outcome.dead_share + "\" had failed (" +
                     outcome.dead_share_status.describe() + ")" +
                     daemon_said(plans, *outcome.dead_share);
        }
        return failure(RunnerExit::start_failed, "qemu failed (" + outcome.qemu.describe() +
                                                     "; its messages are above)" + daemon);
    }
    if (outcome.qemu.kind == base::ExitStatus::Kind::signaled) {
        return failure(RunnerExit::runtime_error, "qemu was " + outcome.qemu.describe());
    }
    return failure(RunnerExit::runtime_error,
                   "the guest stopped without reporting the workload's exit status; see " +
                       console);
}

// What the report says once the VMM is up: the kernel, the accelerator, and per user share
// whether the file server itself keeps it read-only (the root share is not the user's).
void describe_in_report(contract::RunnerReport& report, Preflight const& checked,
                        std::vector<SharePlan> const& plans) {
    report.kernel = checked.tools.kernel;
    report.accelerator = checked.accelerator == Accelerator::kvm ? "kvm" : "tcg";
    report.shares.clear();
    for (auto const& plan : plans) {
        if (plan.tag == contract::root_share_tag) {
            continue;
        }
        report.shares.push_back({.tag = plan.tag,
                                 .read_only = plan.read_only,
                                 .host_enforced = plan.enforcement != HostEnforcement::none});
    }
}

Step<int> run_vm(contract::RunnerConfig const& config, Reporter& reporter) {
    // First of all: from here on a stop signal is an event for the supervision loop, not the
    // runner's death between starting a child and watching it.
    StopSignals signals = TRY(as_step(StopSignals::block(), RunnerExit::runtime_error));
    // Before any daemon starts, so that what a daemon leaves behind is reparented here.
    if (auto const subreaper = base::become_subreaper(); !subreaper) {
        spdlog::warn("{}; orphaned daemon processes will be left to init",
                     subreaper.error().text());
    }
    Preflight const checked = TRY(preflight(config));

    std::optional<base::TempDir> temp =
        TRY(as_step(create_workspace_dir(config), RunnerExit::start_failed));
    Workspace workspace{
        .dir = temp ? temp->path() : std::filesystem::path(config.runtime_dir),
        .temp = std::move(temp),
        .root = std::nullopt,
    };
    OrphanReaper const reaper;
    // Before the root share's daemon starts: the daemon pins its source directory at startup.
    std::string const root_source = TRY(mount_root(config, workspace));
    auto const plans = TRY(plan_shares(config, root_source, workspace, checked.daemon));
    // Declared after the workspace: on every return the daemons are killed and reaped before
    // the overlay they serve is detached. Started before qemu, which connects to them at once.
    std::vector<ShareDaemon> daemons =
        TRY(start_daemons(plans, {.binary = checked.tools.virtiofsd,
                                  .capabilities = checked.daemon,
                                  .log_level = daemon_log_level(config.log_level)}));

    PrivilegeRefusals const refusals = TRY(answer_privilege_filters(daemons));

    std::optional<OutputLogs> logs = TRY(start_output_logs(config, reporter));
    QemuLaunch launch = describe_vm(config, checked, workspace, plans);
    if (logs) {
        launch.output_socket_fds = qemu_output_fds;
    }
    // Listening before qemu starts, which connects to the agent's side at once.
    ExecRelay const exec =
        TRY(as_step(serve_exec(workspace.dir, reporter), RunnerExit::start_failed, "serve exec"));
    std::optional<net::EgressNetwork> network = TRY(start_egress_network(config, reporter));
    base::Child qemu = TRY(start_qemu(launch, network, logs));
    reporter.amend(
        [&](contract::RunnerReport& report) { describe_in_report(report, checked, plans); });
    TRY(as_step(reporter.vmm_started(), RunnerExit::runtime_error));
    auto const outcome = supervise(qemu, daemons, signals, launch.control_socket_path);
    stop_daemons(daemons);
    if (!outcome) {
        return failure(RunnerExit::runtime_error,
                       Error(outcome.error()).context("supervise the VM"));
    }
    return vm_status(*outcome, plans, launch.status_path, config.console_log_path);
}

} // namespace

int run(contract::RunnerConfig const& config) {
    Reporter reporter(config.report_path, contract::Engine::qemu);
    auto const result = run_vm(config, reporter);
    if (result) {
        reporter.ended(*result);
        return *result;
    }
    std::string const message = "qemu: " + result.error().error.text();
    std::fprintf(stderr, "microvm-runner: %s\n", message.c_str());
    reporter.failed(message);
    return contract::to_int(result.error().exit);
}

} // namespace microvm::runner::qemu
