#include "guest/workload.hpp"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <thread>

namespace microvm::guest {
namespace {

// Status of a child that could not even reach execve (user or directory could not be set).
constexpr int setup_failure_status = 125;

Result<std::uint32_t> parse_id(std::string_view text, std::string_view full) {
    std::uint32_t value = 0;
    auto const [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    // (uint32_t)-1 means "unchanged" to setuid and chown, so it cannot name a user.
    if (text.empty() || error != std::errc() || end != text.data() + text.size() ||
        value == static_cast<std::uint32_t>(-1)) {
        return fail("user \"" + std::string(full) + "\" is not \"uid[:gid]\" with numeric ids");
    }
    return value;
}

bool has_variable(std::vector<std::string> const& env, std::string_view name) {
    for (auto const& entry : env) {
        if (entry.size() > name.size() && entry.starts_with(name) && entry[name.size()] == '=') {
            return true;
        }
    }
    return false;
}

std::vector<char*> c_strings(std::vector<std::string> const& strings) {
    std::vector<char*> out;
    out.reserve(strings.size() + 1);
    for (auto const& s : strings) {
        out.push_back(const_cast<char*>(s.c_str()));
    }
    out.push_back(nullptr);
    return out;
}

// Only async-signal-safe calls from here on: the child of fork().
void write_stderr(char const* a, char const* b, char const* c) {
    for (char const* part : {a, b, c}) {
        ssize_t const ignored = ::write(STDERR_FILENO, part, std::strlen(part));
        (void)ignored;
    }
}

[[noreturn]] void child(WorkloadSpec const& spec, WorkloadIo io,
                        std::vector<std::string> const& candidates, char* const* argv,
                        char* const* envp) {
    ::setsid();
    if (io.controlling_terminal && ::ioctl(io.stdin_fd, TIOCSCTTY, 0) != 0) {
        write_stderr("microvm-init: set the controlling terminal: ", std::strerror(errno), "\n");
        _exit(setup_failure_status);
    }
    sigset_t all;
    sigemptyset(&all);
    ::sigprocmask(SIG_SETMASK, &all, nullptr);
    for (int sig = 1; sig < NSIG; ++sig) {
        ::signal(sig, SIG_DFL);
    }
    int const fds[] = {io.stdin_fd, io.stdout_fd, io.stderr_fd};
    for (int target = 0; target < 3; ++target) {
        if (fds[target] >= 0 && ::dup2(fds[target], target) < 0) {
            _exit(setup_failure_status);
        }
    }
    if (::chdir(spec.cwd.c_str()) != 0) {
        write_stderr("microvm-init: chdir ", spec.cwd.c_str(), ": ");
        write_stderr(std::strerror(errno), "\n", "");
        _exit(setup_failure_status);
    }
    // Unchanged ids need no privilege, so the unit tests can run this path unprivileged.
    bool const same_user = spec.user.uid == ::getuid() && spec.user.gid == ::getgid();
    if (!same_user && (::setgroups(0, nullptr) != 0 || ::setgid(spec.user.gid) != 0 ||
                       ::setuid(spec.user.uid) != 0)) {
        write_stderr("microvm-init: set user: ", std::strerror(errno), "\n");
        _exit(setup_failure_status);
    }
    // execvp(3) semantics: a missing file lets the search go on, a file that is there but cannot
    // be executed is remembered, and anything else stops the search.
    int error = ENOENT;
    bool denied = false;
    for (auto const& candidate : candidates) {
        ::execve(candidate.c_str(), argv, envp);
        error = errno;
        if (error == EACCES) {
            denied = true;
        } else if (error != ENOENT && error != ENOTDIR) {
            break;
        }
    }
    if (denied && (error == ENOENT || error == ENOTDIR)) {
        error = EACCES;
    }
    write_stderr("microvm-init: exec ", spec.argv.front().c_str(), ": ");
    if (candidates.size() > 1 || candidates.front() != spec.argv.front()) {
        // A bare name was looked up in PATH; "No such file" alone would not say where.
        write_stderr(error == EACCES ? "not executable in " : "not found in ", "PATH", "\n");
    } else {
        write_stderr(std::strerror(error), "\n", "");
    }
    _exit(exec_failure_status(error));
}

} // namespace

Result<User> parse_user(std::string_view text) {
    if (text.empty()) {
        return User{};
    }
    auto const colon = text.find(':');
    User user;
    user.uid = TRY(parse_id(text.substr(0, colon), text));
    if (colon != std::string_view::npos) {
        user.gid = TRY(parse_id(text.substr(colon + 1), text));
    }
    return user;
}

int exit_status(int wait_status) {
    if (WIFEXITED(wait_status)) {
        return WEXITSTATUS(wait_status);
    }
    if (WIFSIGNALED(wait_status)) {
        return 128 + WTERMSIG(wait_status);
    }
    return 128;
}

int exec_failure_status(int error) {
    return error == ENOENT || error == ENOTDIR || error == ELOOP || error == ENAMETOOLONG ? 127
                                                                                          : 126;
}

Result<WorkloadSpec> workload_from_config(contract::GuestConfig const& config) {
    WorkloadSpec spec;
    spec.argv = config.argv.empty() ? std::vector<std::string>{"/bin/sh"} : config.argv;
    if (spec.argv.front().empty()) {
        return fail("the workload's command is empty");
    }
    spec.user = TRY(parse_user(config.user));
    spec.cwd = config.cwd.empty() ? "/" : config.cwd;
    spec.env = config.env;
    if (!has_variable(spec.env, "PATH")) {
        spec.env.emplace_back(default_path);
    }
    if (!has_variable(spec.env, "HOME")) {
        spec.env.emplace_back(spec.user.uid == 0 ? "HOME=/root" : "HOME=/");
    }
    return spec;
}

std::vector<std::string> exec_candidates(std::string const& argv0, std::string_view path_value) {
    if (argv0.find('/') != std::string::npos) {
        return {argv0};
    }
    std::vector<std::string> candidates;
    while (true) {
        auto const colon = path_value.find(':');
        std::string dir(path_value.substr(0, colon));
        candidates.push_back((dir.empty() ? std::string(".") : dir) + "/" + argv0);
        if (colon == std::string_view::npos) {
            break;
        }
        path_value.remove_prefix(colon + 1);
    }
    return candidates;
}

Result<pid_t> start_workload(WorkloadSpec const& spec, WorkloadIo io) {
    // Everything the child needs is built before fork, so the child only makes system calls.
    std::string_view path_value = std::string_view(default_path).substr(5);
    for (auto const& entry : spec.env) {
        if (entry.starts_with("PATH=")) {
            path_value = std::string_view(entry).substr(5);
        }
    }
    auto const candidates = exec_candidates(spec.argv.front(), path_value);
    auto const argv = c_strings(spec.argv);
    auto const envp = c_strings(spec.env);

    pid_t const pid = ::fork();
    if (pid < 0) {
        return fail_errno("fork");
    }
    if (pid == 0) {
        child(spec, io, candidates, argv.data(), envp.data());
    }
    return pid;
}

int wait_for_workload(pid_t workload) {
    while (true) {
        int status = 0;
        pid_t const pid = ::wait4(-1, &status, 0, nullptr);
        if (pid == workload) {
            return exit_status(status);
        }
        if (pid < 0 && errno != EINTR) {
            // ECHILD: someone else reaped it, which cannot happen in PID 1.
            return setup_failure_status;
        }
    }
}

StopSummary stop_remaining_processes(std::chrono::milliseconds patience, ProcessOwner owner) {
    StopSummary summary;
    if (owner == ProcessOwner::pid1 && ::getpid() != 1) {
        return summary;
    }
    // Reaps what has ended; true once no child is left (ECHILD).
    auto reap = [&summary](int options) {
        while (true) {
            pid_t const pid = ::wait4(-1, nullptr, options, nullptr);
            if (pid > 0) {
                ++summary.reaped;
            } else if (pid == 0 || errno != EINTR) {
                return pid < 0;
            }
        }
    };
    if (::kill(-1, SIGTERM) != 0) {
        return summary; // ESRCH: nobody was left
    }
    auto const deadline = std::chrono::steady_clock::now() + patience;
    while (!reap(WNOHANG)) {
        if (std::chrono::steady_clock::now() >= deadline) {
            summary.needed_sigkill = true;
            ::kill(-1, SIGKILL);
            reap(0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return summary;
}

} // namespace microvm::guest
