#include "host/process/child.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>

#include <cerrno>
#include <string>
#include <utility>

namespace microvm::process {

namespace {

std::string describe(pid_t pid) {
    return "pid " + std::to_string(pid);
}

} // namespace

ExitStatus ExitStatus::from_wait_status(int status) {
    if (WIFSIGNALED(status)) {
        return ExitStatus{.exit_code = 0, .signal = WTERMSIG(status)};
    }
    return ExitStatus{.exit_code = WEXITSTATUS(status), .signal = 0};
}

Child::Child(Child&& other) noexcept : m_identity(std::exchange(other.m_identity, {})) {}

Child& Child::operator=(Child&& other) noexcept {
    if (this != &other) {
        kill_and_reap();
        m_identity = std::exchange(other.m_identity, {});
    }
    return *this;
}

Child::~Child() {
    kill_and_reap();
}

Result<ExitStatus> Child::wait() {
    if (!owned()) {
        return fail("wait: the child is no longer owned");
    }
    int status = 0;
    while (::waitpid(m_identity.pid, &status, 0) < 0) {
        if (errno != EINTR) {
            return fail_errno("waitpid " + describe(m_identity.pid));
        }
    }
    m_identity = {};
    return ExitStatus::from_wait_status(status);
}

Result<std::optional<ExitStatus>> Child::try_wait() {
    if (!owned()) {
        return fail("wait: the child is no longer owned");
    }
    int status = 0;
    pid_t reaped = 0;
    do {
        reaped = ::waitpid(m_identity.pid, &status, WNOHANG);
    } while (reaped < 0 && errno == EINTR);
    if (reaped < 0) {
        return fail_errno("waitpid " + describe(m_identity.pid));
    }
    if (reaped == 0) {
        return std::nullopt;
    }
    m_identity = {};
    return ExitStatus::from_wait_status(status);
}

Result<ExitStatus> Child::kill() {
    if (!owned()) {
        return fail("kill: the child is no longer owned");
    }
    if (m_identity.pid <= 1) {
        // kill(-1) would signal every process we may signal.
        return fail("kill: refusing to signal pid " + std::to_string(m_identity.pid));
    }
    // Until it is reaped the PID (and so the group ID) cannot be reused, so this reaches only
    // the child's own group.
    if (::kill(-m_identity.pid, SIGKILL) != 0 && errno != ESRCH) {
        return fail_errno("kill -" + std::to_string(m_identity.pid) + " SIGKILL");
    }
    return wait();
}

ProcessIdentity Child::detach() {
    return std::exchange(m_identity, {});
}

void Child::kill_and_reap() noexcept {
    if (!owned()) {
        return;
    }
    spdlog::warn("runner pid {} was dropped without wait, kill or detach; killing it",
                 m_identity.pid);
    if (auto killed = kill(); !killed) {
        spdlog::warn("{}", killed.error().text());
    }
}

} // namespace microvm::process
