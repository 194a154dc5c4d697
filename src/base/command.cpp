#include "base/command.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

extern char** environ;

namespace microvm::base {

namespace {

// The report the child sends over a close-on-exec pipe when a step or the exec fails; an empty
// read (EOF at exec) means success.
struct ChildReport {
    int error = 0;
    char step[64] = {};
};

[[noreturn]] void report_and_exit(int report_fd, int error, char const* step) {
    ChildReport report;
    report.error = error;
    ::strncpy(report.step, step, sizeof(report.step) - 1);
    [[maybe_unused]] auto written = ::write(report_fd, &report, sizeof(report));
    ::_exit(127);
}

void reset_signals() {
    for (int signo = 1; signo < NSIG; ++signo) {
        if (signo != SIGKILL && signo != SIGSTOP) {
            ::signal(signo, SIG_DFL); // fails harmlessly for the reserved real-time signals
        }
    }
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

// The child side of spawn() and run_in_child(). Never returns.
[[noreturn]] void child_main(Command const* command, char* const* argv, char* const* envp,
                             int report_fd, int devnull, pid_t parent, ChildStep const& step) {
    reset_signals();
    int const death_signal = command ? command->death_signal : SIGKILL;
    if (death_signal != 0) {
        if (::prctl(PR_SET_PDEATHSIG, death_signal) < 0) {
            report_and_exit(report_fd, errno, "prctl(PR_SET_PDEATHSIG)");
        }
        // The parent may have died before the death signal was armed.
        if (::getppid() != parent) {
            ::_exit(127);
        }
    }
    if (command != nullptr && command->session == Session::new_session && ::setsid() < 0) {
        report_and_exit(report_fd, errno, "setsid");
    }
    if (command != nullptr) {
        int highest = 2;
        for (auto const& mapping : command->fds) {
            highest = std::max(highest, mapping.child_fd);
        }
        // Move every source above all targets first, so that one dup2() cannot overwrite the
        // source of a later one.
        int const floor = highest + 1;
        int const report = ::fcntl(report_fd, F_DUPFD_CLOEXEC, floor);
        if (report < 0) {
            report_and_exit(report_fd, errno, "fcntl(F_DUPFD_CLOEXEC)");
        }
        report_fd = report;
        int moved[64];
        std::size_t const count = std::min<std::size_t>(command->fds.size(), 64);
        for (std::size_t i = 0; i < count; ++i) {
            moved[i] = ::fcntl(command->fds[i].parent_fd, F_DUPFD_CLOEXEC, floor);
            if (moved[i] < 0) {
                report_and_exit(report_fd, errno, "fcntl(F_DUPFD_CLOEXEC)");
            }
        }
        // Everything from 3 up closes at exec, the report pipe included, unless dup2() below
        // makes it a target (dup2 clears the flag on its result).
        if (::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
            report_and_exit(report_fd, errno, "close_range");
        }
        for (int target = 0; target <= 2; ++target) {
            if (::dup2(devnull, target) < 0) {
                report_and_exit(report_fd, errno, "dup2 /dev/null");
            }
        }
        for (std::size_t i = 0; i < count; ++i) {
            if (::dup2(moved[i], command->fds[i].child_fd) < 0) {
                report_and_exit(report_fd, errno, "dup2");
            }
        }
    }
    if (step) {
        ChildStepStatus const status = step();
        if (status.failed()) {
            report_and_exit(report_fd, status.error, status.step ? status.step : "child step");
        }
    }
    if (command == nullptr) {
        ::_exit(0);
    }
    ::execve(command->path.c_str(), argv, envp != nullptr ? envp : environ);
    report_and_exit(report_fd, errno, "execve");
}

// Forks; in the child runs child_main(). Returns the pid once the child has exec'd (or, for
// run_in_child, exited successfully).
Result<pid_t> fork_and_report(Command const* command, ChildStep const& step) {
    std::vector<char*> argv;
    std::vector<char*> envp;
    if (command != nullptr) {
        if (command->path.empty() || command->path.front() != '/') {
            return fail("spawn: not an absolute path: \"" + command->path + "\"");
        }
        if (command->argv.empty()) {
            return fail("spawn " + command->path + ": empty argv");
        }
        if (command->fds.size() > 64) {
            return fail("spawn " + command->path + ": too many descriptors");
        }
        for (auto const& arg : command->argv) {
            argv.push_back(const_cast<char*>(arg.c_str()));
        }
        argv.push_back(nullptr);
        if (command->env) {
            for (auto const& entry : *command->env) {
                envp.push_back(const_cast<char*>(entry.c_str()));
            }
            envp.push_back(nullptr);
        }
    }
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) < 0) {
        return fail_errno("pipe2");
    }
    Fd read_end(pipe_fds[0]);
    Fd write_end(pipe_fds[1]);
    Fd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!devnull) {
        return fail_errno("open /dev/null");
    }
    pid_t const parent = ::getpid();
    pid_t const pid = ::fork();
    if (pid < 0) {
        return fail_errno("fork");
    }
    if (pid == 0) {
        child_main(command, argv.data(), envp.empty() ? nullptr : envp.data(), write_end.get(),
                   devnull.get(), parent, step);
    }
    write_end.reset();
    ChildReport report;
    ssize_t got;
    do {
        got = ::read(read_end.get(), &report, sizeof(report));
    } while (got < 0 && errno == EINTR);
    if (got == 0) {
        return pid;
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (got != static_cast<ssize_t>(sizeof(report))) {
        return fail("child " + std::to_string(pid) + " failed before exec (" +
                    ExitStatus::from_wait_status(status).describe() + ")");
    }
    report.step[sizeof(report.step) - 1] = '\0';
    std::string operation = report.step;
    if (command != nullptr && operation == "execve") {
        operation += " " + command->path;
    }
    return fail_errno(operation, report.error);
}

} // namespace

Result<Child> spawn(Command const& command) {
    pid_t const pid = TRY(fork_and_report(&command, command.before_exec));
    return Child::adopt(pid, command.session == Session::new_session ? KillScope::process_group
                                                                     : KillScope::process);
}

Result<void> run_in_child(ChildStep const& step) {
    pid_t const pid = TRY(fork_and_report(nullptr, step));
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            return fail_errno("waitpid " + std::to_string(pid));
        }
    }
    ExitStatus const exit = ExitStatus::from_wait_status(status);
    if (!exit.success()) {
        return fail("child " + std::to_string(pid) + " " + exit.describe());
    }
    return {};
}

} // namespace microvm::base
