#include "runner/sanitize.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

namespace microvm::runner {

namespace {

Result<void> close_inherited_fds(int first) {
    if (::close_range(static_cast<unsigned>(first), ~0U, 0) == 0) {
        return {};
    }
    if (errno != ENOSYS) {
        return fail_errno("close_range " + std::to_string(first) + "..");
    }
    // Kernels before 5.9 lack close_range.
    long const limit = ::sysconf(_SC_OPEN_MAX);
    for (long fd = first; fd < (limit > 0 ? limit : 1024); ++fd) {
        ::close(static_cast<int>(fd));
    }
    return {};
}

Result<void> open_standard_streams() {
    for (int fd = 0; fd <= 2; ++fd) {
        if (::fcntl(fd, F_GETFD) >= 0 || errno != EBADF) {
            continue;
        }
        // open() returns the lowest free descriptor, which is `fd` itself.
        int opened = ::open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
        if (opened < 0) {
            return fail_errno("open /dev/null");
        }
        if (opened != fd) {
            ::close(opened);
            return fail("open /dev/null: got descriptor " + std::to_string(opened) +
                        " instead of " + std::to_string(fd));
        }
    }
    return {};
}

Result<void> reset_signals() {
    struct sigaction action {};
    action.sa_handler = SIG_DFL;
    sigemptyset(&action.sa_mask);
    for (int sig = 1; sig < NSIG; ++sig) {
        if (sig == SIGKILL || sig == SIGSTOP) {
            continue;
        }
        // glibc reserves two real-time signals for itself and answers EINVAL for them.
        if (::sigaction(sig, &action, nullptr) != 0 && errno != EINVAL) {
            return fail_errno("sigaction " + std::to_string(sig));
        }
    }
    sigset_t none;
    sigemptyset(&none);
    if (::sigprocmask(SIG_SETMASK, &none, nullptr) != 0) {
        return fail_errno("sigprocmask");
    }
    return {};
}

} // namespace

Result<void> sanitize_process(int first_closed) {
    // Standard streams first: closing the others must not free a slot 0..2 would reuse.
    TRY(open_standard_streams());
    TRY(close_inherited_fds(first_closed < 3 ? 3 : first_closed));
    TRY(reset_signals());
    return {};
}

} // namespace microvm::runner
