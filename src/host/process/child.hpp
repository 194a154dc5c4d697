// An owned child process that must be reaped.
#pragma once

#include <sys/types.h>

#include <optional>

#include "base/error.hpp"
#include "host/process/identity.hpp"

namespace microvm::process {

// How a process ended.
struct ExitStatus {
    int exit_code = 0; // meaningful when signal == 0
    int signal = 0;    // the signal that killed it, 0 when it exited

    // The shell's convention: the exit code, or 128 + the signal number.
    int code() const { return signal != 0 ? 128 + signal : exit_code; }

    // Decodes a waitpid() status.
    static ExitStatus from_wait_status(int status);
};

// A child process this process started and has not reaped yet.
//
// Move-only. The owner must end it one of three ways: wait() for it, kill() it (which also
// reaps it), or detach() it (the caller takes over the PID). Destroying a Child that is
// still owned kills its whole process group with SIGKILL and reaps it (with a warning: it is a
// bug in the caller), so an error path never leaks a running runner.
class Child {
public:
    // Takes ownership of `identity.pid`, which must be a child of this process that leads its
    // own process group (setsid), so that killing -pid reaches its descendants too.
    explicit Child(ProcessIdentity identity) : m_identity(std::move(identity)) {}
    Child(Child&& other) noexcept;
    Child& operator=(Child&& other) noexcept;
    Child(Child const&) = delete;
    Child& operator=(Child const&) = delete;
    ~Child();

    pid_t pid() const { return m_identity.pid; }
    ProcessIdentity const& identity() const { return m_identity; }
    // True until the child has been reaped, killed or detached.
    bool owned() const { return m_identity.pid > 0; }

    // Blocks until the child exits and reaps it. Fails when the child is no longer owned or
    // waitpid fails.
    Result<ExitStatus> wait();
    // Reaps the child if it has exited; std::nullopt while it is still running.
    Result<std::optional<ExitStatus>> try_wait();
    // Sends SIGKILL to the child's process group, then reaps the child.
    Result<ExitStatus> kill();
    // Gives up ownership without waiting: the process keeps running and the caller is
    // responsible for it. Returns its identity.
    ProcessIdentity detach();

private:
    void kill_and_reap() noexcept;

    ProcessIdentity m_identity;
};

} // namespace microvm::process
