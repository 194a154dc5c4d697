#include "host/microvm/vm_registry.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>

#include "contract/runner_report.hpp"
#include "host/microvm/data_dir.hpp"
#include "host/microvm/runner_config.hpp"
#include "host/microvm/vm_impl.hpp"
#include "host/process/runner_handle.hpp"
#include "host/process/stop.hpp"
#include "host/rootfs/layer_disk.hpp"
#include "host/state/state_file.hpp"
#include "host/state/vm_dir.hpp"

namespace microvm {

namespace {

using Clock = std::chrono::system_clock;

bool present(std::filesystem::path const& path) {
    std::error_code ignored;
    return std::filesystem::exists(path, ignored);
}

// When the runner recorded its result (the file's mtime); now when it left none.
Clock::time_point finished_time(std::filesystem::path const& vm_dir) {
    struct stat st {};
    if (::stat(state::VmDir(vm_dir).runner_report().c_str(), &st) != 0) {
        return std::chrono::time_point_cast<std::chrono::seconds>(Clock::now());
    }
    return Clock::from_time_t(st.st_mtim.tv_sec);
}

void apply_outcome(VmInfo& info, Result<int> const& outcome, Clock::time_point finished) {
    info.status = VmStatus::exited;
    info.finished = finished;
    if (outcome) {
        info.exit_code = *outcome;
        info.error.clear();
    } else {
        info.exit_code.reset();
        info.error = outcome.error().text();
    }
}

// What protects each read-only share is what the runner reported once its VMM was up; before
// that (or without a report) it is unknown, never assumed. Returns true when a mount's
// enforcement changed.
bool refresh_enforcement(std::filesystem::path const& vm_dir, RunnerReportRead const& report,
                         VmInfo& info) {
    if (!report) {
        spdlog::warn("{}: {}", vm_dir.string(), report.error().text());
    }
    contract::RunnerReport const* said =
        report && *report && (*report)->vmm_started ? &**report : nullptr;
    bool changed = false;
    for (auto& mount : info.mounts) {
        if (!mount.mount.read_only) {
            continue;
        }
        auto enforcement = Enforcement::unknown;
        if (said != nullptr) {
            for (auto const& share : said->shares) {
                if (share.tag == mount.mount.tag && share.read_only) {
                    enforcement =
                        share.host_enforced ? Enforcement::host_and_guest : Enforcement::guest_only;
                }
            }
        }
        changed = changed || enforcement != mount.enforcement;
        mount.enforcement = enforcement;
    }
    return changed;
}

bool runner_gone(state::VmRecord const& record) {
    return record.info.status == VmStatus::running &&
           (!record.runner || !process::alive(*record.runner));
}

} // namespace

state::VmRecord created_record(std::string const& image, RunOptions const& options) {
    state::VmRecord record;
    VmInfo& info = record.info;
    info.name = options.name;
    info.image = image;
    info.rootfs = options.rootfs;
    info.command = options.command;
    info.status = VmStatus::created;
    info.created = std::chrono::time_point_cast<std::chrono::seconds>(Clock::now());
    info.backend = options.backend;
    info.kernel = options.kernel.string();
    info.cpus = options.cpus;
    info.memory_mib = options.memory_mib;
    info.log_max_size = effective_log_max_size(options);
    info.ports = options.ports;
    info.read_only_policy = options.read_only_policy;
    info.auto_remove = options.auto_remove;
    info.interactive = options.interactive;
    info.egress = options.egress;
    info.tty = options.tty;
    for (auto const& mount : options.mounts) {
        // Unknown until the runner reports what enforces it (refresh_enforcement()).
        info.mounts.push_back(
            {.mount = mount,
             .enforcement = mount.read_only ? Enforcement::unknown : Enforcement::none});
    }
    return record;
}

Result<void> record_started(std::filesystem::path const& vm_dir, std::string const& kernel,
                            std::filesystem::path const& rootfs,
                            process::ProcessIdentity const& runner,
                            std::optional<std::uint64_t> disk_size) {
    auto updated = TRY(state::update_state(
        vm_dir, [&](std::optional<state::VmRecord> record) -> std::optional<state::VmRecord> {
            if (!record) {
                return std::nullopt;
            }
            record->runner = runner;
            record->info.pid = runner.pid;
            record->info.rootfs = rootfs;
            record->info.disk_size = disk_size;
            if (!kernel.empty()) {
                record->info.kernel = kernel;
            }
            record->info.status = VmStatus::running;
            record->info.started = std::chrono::time_point_cast<std::chrono::seconds>(Clock::now());
            return record;
        }));
    if (!updated || updated->info.status != VmStatus::running) {
        return fail("the state file of " + vm_dir.string() + " vanished");
    }
    return {};
}

Result<std::optional<state::VmRecord>> refresh_state(std::filesystem::path const& vm_dir) {
    std::uint32_t exec_sessions = 0;
    std::optional<EgressCounters> egress_counters;
    LogDrops logs_dropped;
    auto record = state::update_state(
        vm_dir, [&](std::optional<state::VmRecord> record) -> std::optional<state::VmRecord> {
            if (!record) {
                return std::nullopt;
            }
            if (record->info.status == VmStatus::created) {
                return std::nullopt;
            }
            // Read once: both the outcome and the enforcement come from it.
            auto const report =
                contract::read_runner_report(state::VmDir(vm_dir).runner_report().string());
            if (report && *report) {
                exec_sessions = (*report)->exec_sessions;
                egress_counters = (*report)->egress;
                logs_dropped = (*report)->logs_dropped;
            }
            bool changed = false;
            if (runner_gone(*record)) {
                apply_outcome(record->info, interpret_report(report, std::nullopt, vm_dir),
                              finished_time(vm_dir));
                changed = true;
            }
            changed = refresh_enforcement(vm_dir, report, record->info) || changed;
            return changed ? record : std::nullopt;
        });
    if (record && *record && (*record)->info.status == VmStatus::running) {
        (*record)->info.exec_sessions = exec_sessions;
    }
    if (record && *record) {
        (*record)->info.egress_counters = egress_counters;
        (*record)->info.logs_dropped = logs_dropped;
        if ((*record)->info.disk_size) {
            (*record)->info.disk_used = rootfs::disk_usage(state::VmDir(vm_dir).layer_disk());
        }
    }
    return record;
}

Result<void> record_outcome(std::filesystem::path const& vm_dir, Result<int> const& outcome) {
    if (!present(state::VmDir(vm_dir).state())) {
        return {};
    }
    TRY(state::update_state(
        vm_dir, [&](std::optional<state::VmRecord> record) -> std::optional<state::VmRecord> {
            if (!record || record->info.status == VmStatus::exited) {
                return std::nullopt;
            }
            apply_outcome(record->info, outcome, finished_time(vm_dir));
            return record;
        }));
    return {};
}

Result<Vm> open_vm_dir(std::filesystem::path const& vm_dir) {
    auto record = TRY(refresh_state(vm_dir));
    auto impl = std::make_unique<Vm::Impl>();
    impl->name = vm_dir.filename().string();
    impl->vm_dir = vm_dir;
    if (record) {
        impl->rootfs = record->info.rootfs;
        impl->ports = record->info.ports;
        impl->auto_remove = record->info.auto_remove;
        if (record->runner) {
            impl->runner = record->runner;
            impl->handle = std::make_unique<process::RunnerProcessHandle>(*record->runner);
        }
    }
    return Vm(std::move(impl));
}

Result<Vm> open(std::string const& name, std::filesystem::path const& data_dir) {
    auto const root = TRY_CTX(resolve_data_dir(data_dir), "data directory");
    auto const vm_dir = TRY(existing_vm_dir(root, name));
    return TRY_CTX(open_vm_dir(vm_dir), "open vm " + name);
}

Result<std::vector<VmInfo>> list(std::filesystem::path const& data_dir) {
    auto const root = TRY_CTX(resolve_data_dir(data_dir), "data directory");
    auto const vms = root / "vms";
    std::vector<VmInfo> out;
    std::error_code error;
    std::filesystem::directory_iterator it(vms, error);
    if (error) {
        if (error == std::errc::no_such_file_or_directory) {
            return out;
        }
        return fail_errno("list " + vms.string(), error.value());
    }
    // The error_code overloads throughout: a VM directory removed while we list is not an
    // exception escaping the library.
    std::error_code step;
    for (; !step && it != std::filesystem::directory_iterator(); it.increment(step)) {
        auto const& entry = *it;
        if (!entry.is_directory(error) || entry.is_symlink(error)) {
            continue;
        }
        auto record = refresh_state(entry.path());
        if (!record) {
            spdlog::warn("skipping {}: {}", entry.path().string(), record.error().text());
            continue;
        }
        if (!*record) {
            // Claimed a moment ago; its creator writes the first state right after.
            VmInfo info;
            info.name = entry.path().filename().string();
            info.data_dir = entry.path();
            info.created = Clock::now();
            out.push_back(std::move(info));
            continue;
        }
        VmInfo& info = (*record)->info;
        if (info.status == VmStatus::exited && info.auto_remove) {
            // Its runner removes it as it ends; this covers a runner that could not (killed).
            std::filesystem::remove_all(entry.path(), error);
            continue;
        }
        out.push_back(std::move(info));
    }
    if (step) {
        return fail_errno("list " + vms.string(), step.value());
    }
    std::sort(out.begin(), out.end(), [](VmInfo const& a, VmInfo const& b) {
        return a.created != b.created ? a.created < b.created : a.name < b.name;
    });
    return out;
}

} // namespace microvm
