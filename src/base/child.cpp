#include "base/child.hpp"

#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <utility>

namespace microvm::base {

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

Result<Child> Child::adopt(pid_t pid) {
    int const fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (fd < 0) {
        int const error = errno;
        ::kill(pid, SIGKILL);
        while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
        }
        return fail_errno("pidfd_open " + std::to_string(pid), error);
    }
    return Child(pid, Fd(fd));
}

Child::Child(Child&& other) noexcept
    : m_pid(std::exchange(other.m_pid, -1)), m_pidfd(std::move(other.m_pidfd)) {}

Child& Child::operator=(Child&& other) noexcept {
    if (this != &other) {
        kill_and_reap();
        m_pid = std::exchange(other.m_pid, -1);
        m_pidfd = std::move(other.m_pidfd);
    }
    return *this;
}

Child::~Child() {
    kill_and_reap();
}

Result<void> Child::signal(int signo) {
    if (reaped()) {
        return fail("signal: the process has already been reaped");
    }
    if (::kill(m_pid, signo) < 0) {
        return fail_errno("kill " + std::to_string(m_pid));
    }
    return {};
}

Result<ExitStatus> Child::wait() {
    if (reaped()) {
        return fail("wait: the process has already been reaped");
    }
    int status = 0;
    while (::waitpid(m_pid, &status, 0) < 0) {
        if (errno != EINTR) {
            return fail_errno("waitpid " + std::to_string(m_pid));
        }
    }
    m_pid = -1;
    m_pidfd.reset();
    return ExitStatus::from_wait_status(status);
}

Result<std::optional<ExitStatus>> Child::try_wait() {
    if (reaped()) {
        return fail("wait: the process has already been reaped");
    }
    int status = 0;
    pid_t const result = ::waitpid(m_pid, &status, WNOHANG);
    if (result < 0) {
        return fail_errno("waitpid " + std::to_string(m_pid));
    }
    if (result == 0) {
        return std::nullopt;
    }
    m_pid = -1;
    m_pidfd.reset();
    return ExitStatus::from_wait_status(status);
}

void Child::kill_and_reap() noexcept {
    if (reaped()) {
        return;
    }
    ::kill(m_pid, SIGKILL);
    while (::waitpid(m_pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    m_pid = -1;
    m_pidfd.reset();
}

} // namespace microvm::base
