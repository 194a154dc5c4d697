#include "host/microvm/vm_registry.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "host/microvm/data_dir.hpp"
#include "host/microvm/vm_impl.hpp"
#include "host/process/runner_handle.hpp"
#include "host/process/runner_launch.hpp"
#include "host/process/stop.hpp"
#include "host/state/state_file.hpp"

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
    if (::stat((vm_dir / vm_files::result).c_str(), &st) != 0) {
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

std::string read_runner_log(std::filesystem::path const& vm_dir) {
    std::ifstream in(vm_dir / process::runner_log_file);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// Under ReadOnlyPolicy::allow_guest_only, a read-only share counts as guest-only until the
// runner has shown otherwise: its VMM is up (the console log exists, so every share has been
// set up) and it printed no DESIGN.md §4.1 warning naming the share. Returns true when a
// mount's enforcement changed.
bool refresh_enforcement(std::filesystem::path const& vm_dir, VmInfo& info) {
    if (info.read_only_policy != ReadOnlyPolicy::allow_guest_only ||
        info.status == VmStatus::created) {
        return false;
    }
    bool const vmm_started = present(vm_dir / vm_files::console_log);
    std::string const log = read_runner_log(vm_dir);
    bool changed = false;
    for (auto& mount : info.mounts) {
        if (!mount.mount.read_only) {
            continue;
        }
        bool const warned = log.find("virtiofs mount \"" + mount.mount.tag +
                                     "\" is read-only but") != std::string::npos;
        auto const enforcement =
            vmm_started && !warned ? Enforcement::host_and_guest : Enforcement::guest_only;
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
    info.ports = options.ports;
    info.read_only_policy = options.read_only_policy;
    info.auto_remove = options.auto_remove;
    for (auto const& mount : options.mounts) {
        // Fail closed: under require_host the runner refuses to start a read-only share it
        // cannot enforce, so a running one is enforced twice; otherwise it is guest-only until
        // the runner shows better (refresh_enforcement()).
        auto enforcement = !mount.read_only ? Enforcement::none
                           : options.read_only_policy == ReadOnlyPolicy::require_host
                               ? Enforcement::host_and_guest
                               : Enforcement::guest_only;
        info.mounts.push_back({.mount = mount, .enforcement = enforcement});
    }
    return record;
}

Result<void> record_started(std::filesystem::path const& vm_dir, std::string const& kernel,
                            std::filesystem::path const& rootfs,
                            process::ProcessIdentity const& runner) {
    auto updated = TRY(state::update_state(
        vm_dir, [&](std::optional<state::VmRecord> record) -> std::optional<state::VmRecord> {
            if (!record) {
                return std::nullopt;
            }
            record->runner = runner;
            record->info.pid = runner.pid;
            record->info.rootfs = rootfs;
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
    return state::update_state(
        vm_dir, [&](std::optional<state::VmRecord> record) -> std::optional<state::VmRecord> {
            if (!record) {
                return std::nullopt;
            }
            bool changed = false;
            if (runner_gone(*record)) {
                apply_outcome(record->info, interpret_runner_exit(std::nullopt, vm_dir),
                              finished_time(vm_dir));
                changed = true;
            }
            changed = refresh_enforcement(vm_dir, record->info) || changed;
            return changed ? record : std::nullopt;
        });
}

Result<void> record_outcome(std::filesystem::path const& vm_dir, Result<int> const& outcome) {
    if (!present(vm_dir / state::state_file_name)) {
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
    for (auto const& entry : it) {
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
    std::sort(out.begin(), out.end(), [](VmInfo const& a, VmInfo const& b) {
        return a.created != b.created ? a.created < b.created : a.name < b.name;
    });
    return out;
}

} // namespace microvm
