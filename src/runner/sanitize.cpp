#include "runner/sanitize.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

extern char** environ;

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

// The variables that survive scrub_environment(), each for a reader that needs it.
constexpr std::string_view kept_variables[] = {
    // base::find_executable() resolves a qemu.binary or qemu.virtiofsd given by name, as the
    // host's preflight did with the same PATH.
    "PATH",
    // The qemu engine's workspace (sockets, mount points) goes under $TMPDIR when it fits, as
    // base::TempDir does; qemu puts its own temporary files there.
    "TMPDIR",
    // How the dynamic loader found this runner's libraries (and the libkrun it dlopens: the
    // loader read it at exec); the VMM children must find theirs the same way.
    "LD_LIBRARY_PATH",
    // The zone runner.log's timestamps are written in, so they agree with the embedding
    // program's own logs.
    "TZ",
};

// Families of variables that survive, by prefix.
constexpr std::string_view kept_prefixes[] = {
    // The recording fake libkrun (tests/fakes/libkrun), loaded in place of libkrun by the
    // runner's black-box tests, takes its instructions from these; nothing else reads them.
    "MICROVM_FAKE_KRUN_",
};

bool kept(std::string_view name) {
    return std::ranges::find(kept_variables, name) != std::end(kept_variables) ||
           std::ranges::any_of(kept_prefixes,
                               [&](std::string_view prefix) { return name.starts_with(prefix); });
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

Result<void> scrub_environment() {
    std::vector<std::pair<std::string, std::string>> survivors;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        std::string_view const text = *entry;
        auto const equals = text.find('=');
        if (equals == std::string_view::npos || !kept(text.substr(0, equals))) {
            continue;
        }
        survivors.emplace_back(text.substr(0, equals), text.substr(equals + 1));
    }
    // Cleared and rebuilt rather than unset one by one: unsetenv() shifts the entries of the
    // environ being walked.
    if (::clearenv() != 0) {
        return fail("clearenv failed");
    }
    for (auto const& [name, value] : survivors) {
        if (::setenv(name.c_str(), value.c_str(), 1) != 0) {
            return fail_errno("setenv " + name);
        }
    }
    return {};
}

Result<void> sanitize_process(int first_closed) {
    // Standard streams first: closing the others must not free a slot 0..2 would reuse.
    TRY(open_standard_streams());
    TRY(close_inherited_fds(first_closed < 3 ? 3 : first_closed));
    TRY(reset_signals());
    TRY(scrub_environment());
    return {};
}

} // namespace microvm::runner
