// The handle of a VM: its microvm-runner process, which runs the VM whatever the engine.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "base/child.hpp"
#include "base/error.hpp"
#include "host/process/identity.hpp"
#include "host/process/spawn.hpp"

namespace microvm::process {

// Not thread-safe. To stop a runner from another thread while one thread blocks in wait(),
// call process::stop(handle.identity(), timeout) there: it only signals, and wait() then
// returns the status.
class RunnerProcessHandle final {
public:
    // A runner this process started: wait() reaps it and reports its exit status.
    explicit RunnerProcessHandle(SpawnedRunner runner);
    // A runner started by another process (its identity read back from the VM's state):
    // stop() and alive() work, wait() blocks until it exits but cannot learn its status.
    explicit RunnerProcessHandle(ProcessIdentity identity);
    // Leaves the runner running: a VM outlives its handle (`microvm run -d`). A runner this
    // process started is still its child, so it is handed to base::Child::reap_in_background():
    // a detached thread reaps it when it exits, and no zombie is left in a long-lived embedding
    // program. (Not double-forked at spawn instead: wait() needs the runner as a child to learn
    // its exit status. Nor SIGCHLD set to SIG_IGN: that is the program's, not the library's.)
    ~RunnerProcessHandle();

    RunnerProcessHandle(RunnerProcessHandle const&) = delete;
    RunnerProcessHandle& operator=(RunnerProcessHandle const&) = delete;

    // process::stop() on the runner's group, then reaps it when it is our child. A runner that
    // has already exited (or whose PID now belongs to someone else) is not an error.
    Result<void> stop(std::chrono::seconds timeout);
    // True while the runner process is alive (and is the one we started).
    bool alive() const;
    // The runner's PID in decimal.
    std::string id() const;
    // The runner's exit status (128 + signal when a signal ended it). Fails for a runner this
    // process did not start, after it has exited.
    Result<int> wait();

    // What to persist so that another process can find and stop this runner.
    ProcessIdentity const& identity() const { return m_identity; }

private:
    Result<int> reap();

    ProcessIdentity m_identity;
    std::optional<base::Child> m_child;
    std::optional<base::ExitStatus> m_exit;
};

} // namespace microvm::process
