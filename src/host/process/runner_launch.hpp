// The step every runner-based backend shares: write runner.json into the VM's directory and
// start microvm-runner on it.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "contract/runner_config.hpp"
#include "host/process/runner_handle.hpp"

namespace microvm::process {

// The files a runner leaves in its VM directory.
inline constexpr char runner_config_file[] = "runner.json";
inline constexpr char runner_log_file[] = "runner.log";

struct LaunchOptions {
    // The microvm-runner binary, absolute (see locate_runner()).
    std::filesystem::path runner;
    // The VM's own directory (vms/<name>/); it must exist.
    std::filesystem::path vm_dir;
    // The runner's entire environment, "KEY=VALUE".
    std::vector<std::string> env = {};
    // A locked descriptor for the runner to inherit and hold (SpawnOptions::held_lock_fd).
    int held_lock_fd = -1;
};

// Writes `config` to <vm_dir>/runner.json (mode 0600, replacing any earlier one atomically)
// and spawns the runner on it with its output in <vm_dir>/runner.log. The VM runs detached;
// the handle owns the runner process. Fails when the file cannot be written or the runner
// cannot be started.
Result<std::unique_ptr<RunnerProcessHandle>> launch_runner(contract::RunnerConfig const& config,
                                                           LaunchOptions const& options);

} // namespace microvm::process
