#include "base/child.hpp"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <utility>

#include "base/sys.hpp"

namespace microvm::base {

namespace {

void reap(pid_t pid) noexcept {
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
}

// The background reaper does nothing but wait, so a small stack will do (glibc's default is
// 8 MiB of address space per thread).
constexpr std::size_t reaper_stack_bytes = 64 * 1024;

// Owns the pidfd (the descriptor number, passed through pthread_create's void*).
void* reap_pidfd(void* argument) {
    int const pidfd = static_cast<int>(reinterpret_cast<std::intptr_t>(argument));
    siginfo_t info{};
    // ECHILD: something else in the program reaped it first; nothing is left to do.
    while (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &info, WEXITED) < 0 &&
           errno == EINTR) {
    }
    ::close(pidfd);
    return nullptr;
}

// Starts a detached thread that reaps the process behind `pidfd`, taking the descriptor.
// False (the descriptor untouched) when no thread could be started.
bool start_reaper(int pidfd) noexcept {
    pthread_attr_t attributes;
    if (::pthread_attr_init(&attributes) != 0) {
        return false;
    }
    ::pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    ::pthread_attr_setstacksize(&attributes,
                                std::max<std::size_t>(reaper_stack_bytes, PTHREAD_STACK_MIN));
    // A new thread inherits its creator's signal mask: block everything for it, then restore.
    sigset_t all;
    sigset_t previous;
    sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &previous);
    pthread_t thread;
    int const created =
        ::pthread_create(&thread, &attributes, reap_pidfd,
                         reinterpret_cast<void*>(static_cast<std::intptr_t>(pidfd)));
    ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    ::pthread_attr_destroy(&attributes);
    return created == 0;
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
    auto pidfd = sys::pidfd_open(pid);
    if (!pidfd) {
        ::kill(scope == KillScope::process_group ? -pid : pid, SIGKILL);
        reap(pid);
        return std::unexpected(std::move(pidfd.error()));
    }
    return Child(pid, std::move(*pidfd), scope);
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

pid_t Child::reap_in_background() noexcept {
    pid_t const pid = m_pid;
    if (!owned()) {
        return pid;
    }
    if (start_reaper(m_pidfd.get())) {
        (void)m_pidfd.release(); // the reaper thread closes it
    }
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
