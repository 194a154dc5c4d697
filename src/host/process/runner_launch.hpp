// Starting a VM's microvm-runner: the one step every engine ends with. runner.json is written
// and the runner spawned exactly once per VM, here.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "contract/runner_config.hpp"
#include "host/process/runner_handle.hpp"

namespace microvm::process {

struct LaunchOptions {
    // The microvm-runner binary, absolute (see locate_runner()).
    std::filesystem::path runner;
    // The VM's own directory (vms/<name>/); it must exist.
    std::filesystem::path vm_dir;
    // The runner's entire environment, "KEY=VALUE" (it keeps only what it needs).
    std::vector<std::string> env = {};
    // A locked descriptor for the runner to inherit and hold (SpawnOptions::held_lock_fd).
    int held_lock_fd = -1;
};

// Creates <vm_dir>/run (0700; an existing one is kept) for the runner's sockets and status
// file, so that a runner killed with SIGKILL leaves them inside the VM's directory, and returns
// it for runner.json's runtime_dir. Returns "" when that path is too long for the engine's unix
// sockets (contract::max_runtime_dir_length): the engine then falls back to a temporary
// directory of its own. Fails when vm_dir does not exist or `run` in it is not a directory (a
// symlink planted there is refused, not followed).
Result<std::string> prepare_runtime_dir(std::filesystem::path const& vm_dir);

// Gives `config` its runtime directory, validates it (so a bad config fails here, in the
// caller's process, rather than in the runner's log), writes it to <vm_dir>/runner.json (0600,
// replacing any earlier one atomically) and spawns the runner on it with its output in
// <vm_dir>/runner.log. The VM runs detached; the handle owns the runner process. Fails, with
// nothing started, when any of these steps fails.
Result<std::unique_ptr<RunnerProcessHandle>> launch_runner(contract::RunnerConfig config,
                                                           LaunchOptions const& options);

} // namespace microvm::process
