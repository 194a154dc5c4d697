#include "host/process/pidfd.hpp"

#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "base/sys.hpp"

namespace microvm::process {

namespace {

// Linux 6.9 signals the pidfd's process group; older kernels reject the flag with EINVAL.
#ifndef PIDFD_SIGNAL_PROCESS_GROUP
constexpr unsigned int PIDFD_SIGNAL_PROCESS_GROUP = 1U << 2;
#endif

// Debian 12's glibc has no wrapper, so the system call is made directly.
int sys_pidfd_send_signal(int pidfd, int signal, unsigned int flags) {
    return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, flags));
}

Result<bool> checked_kill(base::Fd const& pidfd, pid_t pid, int signal, std::string const& what) {
    if (sys_pidfd_send_signal(pidfd.get(), 0, 0) != 0) {
        if (errno == ESRCH) {
            return false;
        }
        return fail_errno(what);
    }
    if (::kill(-pid, signal) == 0) {
        return true;
    }
    if (errno == ESRCH) {
        return false;
    }
    return fail_errno(what);
}

} // namespace

Result<std::optional<base::Fd>> open_pidfd(pid_t pid) {
    auto fd = base::sys::pidfd_open(pid);
    if (!fd) {
        if (fd.error().errno_value() == ESRCH) {
            return std::nullopt;
        }
        return std::unexpected(std::move(fd.error()));
    }
    return std::optional<base::Fd>(std::move(*fd));
}

Result<bool> signal_group(base::Fd const& pidfd, pid_t pid, int signal, GroupSignalMethod method) {
    std::string const what =
        std::string("send SIG") + sigabbrev_np(signal) + " to process group " + std::to_string(pid);
    if (pid <= 1) {
        return fail(what + ": refusing to signal pid " + std::to_string(pid));
    }
    if (method == GroupSignalMethod::checked_kill) {
        return checked_kill(pidfd, pid, signal, what);
    }
    if (sys_pidfd_send_signal(pidfd.get(), signal, PIDFD_SIGNAL_PROCESS_GROUP) == 0) {
        return true;
    }
    if (errno == ESRCH) {
        return false;
    }
    if (errno != EINVAL) {
        return fail_errno(what);
    }
    return checked_kill(pidfd, pid, signal, what);
}

Result<bool> signal_process(base::Fd const& pidfd, pid_t pid, int signal) {
    if (sys_pidfd_send_signal(pidfd.get(), signal, 0) == 0) {
        return true;
    }
    if (errno == ESRCH) {
        return false;
    }
    return fail_errno(std::string("send SIG") + sigabbrev_np(signal) + " to pid " +
                      std::to_string(pid));
}

Result<bool> wait_pidfd(base::Fd const& pidfd, std::optional<std::chrono::milliseconds> timeout) {
    auto const deadline =
        std::chrono::steady_clock::now() + timeout.value_or(std::chrono::milliseconds(0));
    while (true) {
        int wait_ms = -1;
        if (timeout) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            wait_ms = static_cast<int>(std::max<std::int64_t>(left.count(), 0));
        }
        pollfd entry{.fd = pidfd.get(), .events = POLLIN, .revents = 0};
        int ready = ::poll(&entry, 1, wait_ms);
        if (ready > 0) {
            return true;
        }
        if (ready == 0) {
            return false;
        }
        if (errno != EINTR) {
            return fail_errno("poll pidfd");
        }
    }
}

} // namespace microvm::process
