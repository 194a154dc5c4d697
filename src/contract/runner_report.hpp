// The runner's report (runner → host): what microvm-runner says about its VM, in the file that
// runner.json's report_path names. The host reads nothing else of the runner's: not its log
// text, not the existence of the console log.
//
// The runner writes it (atomically: a whole file or none) at two moments:
//   1. once the VMM is up: vmm_started, the engine, the kernel it booted, the accelerator, and
//      per share whether the host side enforces its read-only flag;
//   2. when it ends: the same, plus `exit_code` (the workload's status) or `error` (the
//      runner's own failure, its exit status one of contract::RunnerExit). A runner that fails
//      before the VMM is up writes only this one, with vmm_started false.
// The libkrun engine cannot write the second: krun_start_enter ends the process with the
// workload's status, so its first report says `status_is_runner_exit` and the host takes the
// runner's exit status as the workload's.
//
// JSON, snake_case keys; unknown keys are ignored (an older host reads a newer runner's file).
// Example: {"vmm_started":true,"engine":"qemu","kernel":"/boot/vmlinuz","accelerator":"tcg",
//           "shares":[{"tag":"src","read_only":true,"host_enforced":true}],"exit_code":0}
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "contract/runner_config.hpp"

namespace microvm::contract {

struct ShareReport {
    std::string tag;
    bool read_only = false;
    // True when the engine's file server refuses writes to a read-only share itself; false for
    // a read-only share the policy let run on the guest's MS_RDONLY alone (and for read-write
    // shares, where there is nothing to enforce).
    bool host_enforced = false;

    bool operator==(ShareReport const&) const = default;
};

struct RunnerReport {
    // The VMM runs (qemu spawned with every file server up; libkrun about to enter the VM).
    bool vmm_started = false;
    Engine engine = Engine::qemu;
    // The guest kernel booted; empty when the engine cannot tell (libkrun's libkrunfw).
    std::string kernel;
    // "kvm" or "tcg"; empty before the VMM started.
    std::string accelerator;
    std::vector<ShareReport> shares;
    // How it ended: at most one of these is set; neither while the VM runs.
    std::optional<int> exit_code;
    std::optional<std::string> error;
    // libkrun: the runner process's exit status is the workload's (see above).
    bool status_is_runner_exit = false;
    // Exec sessions whose client is connected now; the runner rewrites the report when the
    // number changes (omitted when 0).
    std::uint32_t exec_sessions = 0;
    // Under an egress policy: what it let through and refused so far; the runner rewrites the
    // report at most once a second while they change.
    std::optional<EgressCounters> egress;
    // What the capped logs (runner.json log_max_size) have dropped so far; omitted while nothing.
    LogDrops logs_dropped;

    bool operator==(RunnerReport const&) const = default;
};

// A report is a few hundred bytes per share; a file larger than this is not one, and the host
// reads no more of it.
inline constexpr std::size_t max_runner_report_size = 1 << 20;

// The report's JSON text (one line, newline-terminated).
std::string serialize(RunnerReport const& report);

// Parses a report. Fails, naming the field, on text that is not a JSON object, on a field of
// the wrong type, an exit_code outside 0..255, both exit_code and error, or text longer than
// max_runner_report_size.
Result<RunnerReport> parse_runner_report(std::string_view text);

// Reads the report at `path`: std::nullopt when there is none (the runner has not reported
// yet, or died first). Fails on an unreadable or invalid file, naming it. Does not follow a
// symlink at `path`.
Result<std::optional<RunnerReport>> read_runner_report(std::string const& path);

// Replaces the report at `path` atomically (a temporary beside it, then rename), mode 0600.
Result<void> write_runner_report(std::string const& path, RunnerReport const& report);

} // namespace microvm::contract
