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
    // The shell's convention: the exit code, or 128 + the signal number.
    int code() const { return kind == Kind::signaled ? 128 + value : value; }
    // "exit status 3" or "killed by signal 9 (Killed)".
    std::string describe() const;

    friend bool operator==(ExitStatus const&, ExitStatus const&) = default;
};

// What kill() and the destructor's SIGKILL reach.
enum class KillScope {
    // The child alone.
    process,
    // The child's whole process group: for a child that leads its own group (one started in a
    // new session), so that what it started dies with it.
    process_group,
};

// Owns a child process until it has been reaped. A pidfd comes with it so that a poll() loop can
// wait for several children and signals at once.
//
// The owner ends a Child one of four ways: wait() for it, kill it (which also reaps it),
// reap_in_background() (it keeps running; nobody waits for its status), or detach() it. One
// destroyed while it is still owned is killed with SIGKILL and reaped, so that no process outlives
// its owner by accident and no zombie is left.
class Child {
public:
    // Adopts `pid`, a child of this process that nothing else reaps. If no pidfd can be opened
    // the child is killed and reaped, and the error returned. Fails for a pid below 2, which
    // cannot be our child and which kill() must never reach (kill(-1) signals everyone).
    static Result<Child> adopt(pid_t pid, KillScope scope = KillScope::process);

    Child(Child&& other) noexcept;
    Child& operator=(Child&& other) noexcept;
    Child(Child const&) = delete;
    Child& operator=(Child const&) = delete;
    ~Child();

    pid_t pid() const { return m_pid; }
    // Becomes readable (POLLIN) when the process exits.
    int pidfd() const { return m_pidfd.get(); }
    // True until the process has been reaped or detached.
    bool owned() const { return m_pid > 0; }

    // Sends `signo` to the process alone. Safe against pid reuse: an unreaped child keeps its
    // pid.
    Result<void> signal(int signo);
    // Blocks until the process exits, then reaps it.
    Result<ExitStatus> wait();
    // Reaps the process if it has exited; nullopt while it runs.
    Result<std::optional<ExitStatus>> try_wait();
    // SIGKILL to the KillScope, then reaps the process and reports how it ended.
    Result<ExitStatus> kill();
    // kill() for paths that cannot report a failure. Does nothing once no longer owned.
    void kill_and_reap() noexcept;
    // Gives up ownership without waiting: the process keeps running and the caller becomes
    // responsible for reaping it. Returns its pid.
    pid_t detach();
    // Gives up ownership of a process that is to keep running while nobody waits for its
    // status (a VM whose handle is dropped): a detached thread of this process waits for it
    // and reaps it when it exits, so it does not stay a zombie until this process exits.
    //
    // Sound inside any program: the thread waits on the pidfd (waitid P_PIDFD), so it reaps
    // this process only, never a later one given the same PID; if the program reaps the child
    // first (waitpid(-1) in a SIGCHLD handler) the thread just ends. It has every signal
    // blocked, so no signal meant for the program is delivered to it, and a small stack; it
    // costs a sleeping thread per such process until that process exits. When no thread can be
    // started the process is left running as detach() leaves it. Returns its pid.
    pid_t reap_in_background() noexcept;

private:
    Child(pid_t pid, Fd pidfd, KillScope scope)
        : m_pid(pid), m_pidfd(std::move(pidfd)), m_scope(scope) {}

    // SIGKILL to the KillScope; 0 or the errno of kill(2).
    int send_kill() noexcept;
    void forget() noexcept;

    pid_t m_pid = -1;
    Fd m_pidfd;
    KillScope m_scope = KillScope::process;
};

} // namespace microvm::base
