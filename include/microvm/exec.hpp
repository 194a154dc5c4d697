// Running more commands in a running VM: Vm::exec() and the ExecProcess it returns.
//
//     microvm::ExecOptions options;
//     options.command = {"sh", "-c", "tr a-z A-Z"};
//     options.stdin_stream = microvm::ExecStdio::pipe();
//     options.stdout_stream = microvm::ExecStdio::from_fd(STDOUT_FILENO);
//     auto process = vm.exec(options);
//     write(process->stdin_fd(), "hello\n", 6);
//     process->close_stdin();
//     auto status = process->wait(); // 0
//
// The command runs in the VM as a process of its own session, under microvm-init's exec
// agent, reached through the VM's runner (never over the VM's network). Only the VM's owner
// can exec: the runner's socket is 0600 in the VM's 0700 runtime directory.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <microvm/error.hpp>

namespace microvm {

// One of an exec's standard streams, as the caller wants it.
struct ExecStdio {
    enum class Kind {
        // stdin: /dev/null in the guest; stdout/stderr: the guest's output is dropped.
        closed,
        // A descriptor of the caller's (a terminal, a file, a socket, a pipe): read for stdin,
        // written for stdout and stderr. The library neither closes it nor changes its flags.
        fd,
        // A pipe the library makes; the caller's end is ExecProcess::stdin_fd() (write to it)
        // or stdout_fd()/stderr_fd() (read from it, until EOF when the command has ended).
        pipe,
    };
    Kind kind = Kind::closed;
    int fd = -1;

    static ExecStdio closed_stream() { return {}; }
    static ExecStdio from_fd(int fd) { return {.kind = Kind::fd, .fd = fd}; }
    static ExecStdio pipe() { return {.kind = Kind::pipe, .fd = -1}; }
};

struct ExecOptions {
    // The command and its arguments; a bare name is looked up in the PATH of the environment.
    std::vector<std::string> command;
    // "KEY=VALUE" entries added to the VM's environment (the workload's), replacing its own.
    std::vector<std::string> env;
    // Absolute; empty: the workload's working directory.
    std::string workdir;
    // USER[:GROUP], names or numbers, looked up in the VM's own /etc/passwd and /etc/group;
    // empty: the workload's user.
    std::string user;
    // A pseudo-terminal in the guest for all three streams, of rows x cols (0: the kernel's
    // default): its output comes on stdout_stream, and stderr_stream is not used.
    bool tty = false;
    std::uint16_t rows = 0;
    std::uint16_t cols = 0;
    ExecStdio stdin_stream;
    ExecStdio stdout_stream;
    ExecStdio stderr_stream;
    // Start it and let it run on its own: no streams, and wait() returns 0 at once.
    bool detach = false;
};

struct AttachOptions {
    ExecStdio stdin_stream;
    ExecStdio stdout_stream;
    std::uint16_t rows = 0;
    std::uint16_t cols = 0;
    // Bytes that, typed in this order on stdin, detach instead of reaching the workload
    // (podman's default is ctrl-p ctrl-q: "\x10\x11"); empty: none. With detach keys (a
    // typist's session) the end of stdin detaches too, leaving the workload's terminal open;
    // without, it ends the workload's stdin (run -i with a pipe).
    std::string detach_keys;
};

// A command running in a VM. Move-only. Dropping it before wait() has returned hangs the
// command up: it gets SIGHUP, then SIGKILL after a grace period, as a process whose terminal
// went away.
class ExecProcess {
public:
    struct State;
    explicit ExecProcess(std::unique_ptr<State> state);
    ExecProcess(ExecProcess&&) noexcept;
    ExecProcess& operator=(ExecProcess&&) noexcept;
    ExecProcess(ExecProcess const&) = delete;
    ExecProcess& operator=(ExecProcess const&) = delete;
    ~ExecProcess();

    // The command's process id inside the VM.
    int pid() const;
    // The caller's ends of the pipes asked for with ExecStdio::pipe(); -1 otherwise. They
    // belong to the ExecProcess (closed when it is destroyed).
    int stdin_fd() const;
    int stdout_fd() const;
    int stderr_fd() const;

    // Waits for the command to end and for its output to be delivered. Returns its exit
    // status: its exit code, 128+N when signal N ended it, 126/127 when it could not be
    // executed / was not found. An error when microvm could not run it or lost it (no such
    // user, the VM stopped); the message says which.
    Result<int> wait();
    // Sends `signo` to the command's process.
    Result<void> signal(int signo);
    // Tells the command's terminal its new size (tty only; the process gets SIGWINCH).
    Result<void> resize(std::uint16_t rows, std::uint16_t cols);
    // Ends the command's stdin once what was read so far is delivered (for a pipe: closes the
    // caller's end).
    Result<void> close_stdin();
    // For an attach: wait() returned because the detach keys were typed (or, with detach keys,
    // stdin ended).
    bool detached() const;

private:
    std::unique_ptr<State> m_state;
};

} // namespace microvm
