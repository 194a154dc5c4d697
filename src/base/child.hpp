// An owner of a child process, from fork to reaping.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "base/error.hpp"
#include "base/fd.hpp"

namespace microvm::base {

// How a child process ended.
struct ExitStatus {
    enum class Kind { exited, signaled };
    Kind kind = Kind::exited;
    int value = 0; // the exit code, or the signal number

    static ExitStatus from_wait_status(int status);
    bool success() const { return kind == Kind::exited && value == 0; }
    // "exit status 3" or "killed by signal 9 (Killed)".
    std::string describe() const;
};

// Owns a child process until it has been reaped. A pidfd comes with it so that a poll() loop can
// wait for several children and signals at once.
//
// A Child must be waited for; one destroyed while the process may still run is killed with
// SIGKILL and reaped, so that no process outlives its owner and no zombie is left.
class Child {
public:
    // Adopts `pid`, a child of this process that nothing else reaps. If no pidfd can be opened
    // the child is killed and reaped, and the error returned.
    static Result<Child> adopt(pid_t pid);

    Child(Child&& other) noexcept;
    Child& operator=(Child&& other) noexcept;
    Child(Child const&) = delete;
    Child& operator=(Child const&) = delete;
    ~Child();

    pid_t pid() const { return m_pid; }
    // Becomes readable (POLLIN) when the process exits.
    int pidfd() const { return m_pidfd.get(); }
    // True until the process has been reaped.
    bool reaped() const { return m_pid <= 0; }

    // Sends `signo`. Safe against pid reuse: an unreaped child keeps its pid.
    Result<void> signal(int signo);
    // Blocks until the process exits, then reaps it.
    Result<ExitStatus> wait();
    // Reaps the process if it has exited; nullopt while it runs.
    Result<std::optional<ExitStatus>> try_wait();
    // SIGKILL, then reap. Does nothing once reaped.
    void kill_and_reap() noexcept;

private:
    Child(pid_t pid, Fd pidfd) : m_pid(pid), m_pidfd(std::move(pidfd)) {}

    pid_t m_pid = -1;
    Fd m_pidfd;
};

} // namespace microvm::base
