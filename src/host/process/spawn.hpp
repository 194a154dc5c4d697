// Starting microvm-runner as a detached process that this process owns until it lets go.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "base/child.hpp"
#include "base/error.hpp"
#include "host/process/identity.hpp"

namespace microvm::process {

struct SpawnOptions {
    // The runner binary; must be absolute. Its symlinks are resolved before exec, so that the
    // identity recorded matches what /proc/PID/exe will show.
    std::filesystem::path runner;
    // runner.json, passed as the only argument.
    std::filesystem::path config_path;
    // Receives the runner's stdout and stderr; created 0600 if missing, appended to otherwise.
    std::filesystem::path log_path;
    // The runner's entire environment, "KEY=VALUE". Nothing is inherited implicitly.
    std::vector<std::string> env = {};
    // A descriptor holding an flock (the image's rootfs lock) that the runner inherits as
    // descriptor contract::runner_held_fd and keeps open until it exits: the lock then lasts as
    // long as the VM, whatever becomes of this process. -1 for none.
    int held_lock_fd = -1;
};

// A runner this process started: the child to reap (whose kill() reaches the runner's whole
// process group), and the identity to persist so that other processes can find it.
struct SpawnedRunner {
    base::Child child;
    ProcessIdentity identity;
};

// Starts `runner config_path` in a new session (so its PID is also its process group ID and
// stop() can reach everything it starts), with stdin on /dev/null, stdout and stderr on the
// log file, every other descriptor closed, default signal dispositions, an empty signal mask
// and no death signal (the VM outlives its starter). Returns once the runner has been
// executed. Fails when the runner path is not absolute or not executable, or the log file
// cannot be opened; nothing is left running then.
Result<SpawnedRunner> spawn_runner(SpawnOptions const& options);

// This process's environment as "KEY=VALUE" entries, for callers that pass it on.
std::vector<std::string> current_environment();

} // namespace microvm::process
