#include "base/child.hpp"

#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <utility>

namespace microvm::base {

namespace {

void reap(pid_t pid) noexcept {
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
}

} // namespace

ExitStatus ExitStatus::from_wait_status(int status) {
    if (WIFSIGNALED(status)) {
        return {Kind::signaled, WTERMSIG(status)};
    }
    return {Kind::exited, WEXITSTATUS(status)};
}

std::string ExitStatus::describe() const {
    if (kind == Kind::exited) {
        return "exit status " + std::to_string(value);
    }
    char const* name = ::sigdescr_np(value);
    return "killed by signal " + std::to_string(value) +
           (name ? std::string(" (") + name + ")" : "");
}

Result<Child> Child::adopt(pid_t pid, KillScope scope) {
    if (pid <= 1) {
        return fail("adopt: not a child process: pid " + std::to_string(pid));
    }
    int const fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (fd < 0) {
        int const error = errno;
        ::kill(scope == KillScope::process_group ? -pid : pid, SIGKILL);
        reap(pid);
        return fail_errno("pidfd_open " + std::to_string(pid), error);
    }
    return Child(pid, Fd(fd), scope);
}

Child::Child(Child&& other) noexcept
    : m_pid(std::exchange(other.m_pid, -1)), m_pidfd(std::move(other.m_pidfd)),
      m_scope(other.m_scope) {}

Child& Child::operator=(Child&& other) noexcept {
    if (this != &other) {
        kill_and_reap();
        m_pid = std::exchange(other.m_pid, -1);
        m_pidfd = std::move(other.m_pidfd);
        m_scope = other.m_scope;
    }
    return *this;
}

Child::~Child() {
    kill_and_reap();
}

Result<void> Child::signal(int signo) {
    if (!owned()) {
        return fail("signal: the process is no longer owned");
    }
    if (::kill(m_pid, signo) < 0) {
        return fail_errno("kill " + std::to_string(m_pid));
    }
    return {};
}

Result<ExitStatus> Child::wait() {
    if (!owned()) {
        return fail("wait: the process is no longer owned");
    }
    int status = 0;
    while (::waitpid(m_pid, &status, 0) < 0) {
        if (errno != EINTR) {
            return fail_errno("waitpid " + std::to_string(m_pid));
        }
    }
    forget();
    return ExitStatus::from_wait_status(status);
}

Result<std::optional<ExitStatus>> Child::try_wait() {
    if (!owned()) {
        return fail("wait: the process is no longer owned");
    }
    int status = 0;
    pid_t result = 0;
    do {
        result = ::waitpid(m_pid, &status, WNOHANG);
    } while (result < 0 && errno == EINTR);
    if (result < 0) {
        return fail_errno("waitpid " + std::to_string(m_pid));
    }
    if (result == 0) {
        return std::nullopt;
    }
    forget();
    return ExitStatus::from_wait_status(status);
}

Result<ExitStatus> Child::kill() {
    if (!owned()) {
        return fail("kill: the process is no longer owned");
    }
    if (int const error = send_kill(); error != 0) {
        return fail_errno(std::string("kill ") + (m_scope == KillScope::process_group ? "-" : "") +
                              std::to_string(m_pid) + " SIGKILL",
                          error);
    }
    return wait();
}

void Child::kill_and_reap() noexcept {
    if (!owned()) {
        return;
    }
    send_kill();
    reap(m_pid);
    forget();
}

pid_t Child::detach() {
    pid_t const pid = m_pid;
    forget();
    return pid;
}

int Child::send_kill() noexcept {
    // Until the child is reaped its pid, and so the group ID it leads, cannot be reused: this
    // reaches only what is ours. The group may already be empty (ESRCH) when the child has
    // exited.
    pid_t const target = m_scope == KillScope::process_group ? -m_pid : m_pid;
    if (::kill(target, SIGKILL) < 0 && errno != ESRCH) {
        return errno;
    }
    return 0;
}

void Child::forget() noexcept {
    m_pid = -1;
    m_pidfd.reset();
}

} // namespace microvm::base
