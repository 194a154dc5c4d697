#include "cli/exec_command.hpp"

#include <unistd.h>

#include <iostream>

#include <microvm/microvm.hpp>

#include "cli/signal_forwarder.hpp"
#include "cli/terminal.hpp"

namespace microvm::cli {

namespace {

struct ExecArgs {
    std::string name;
    std::shared_ptr<std::vector<std::string>> command;
    bool interactive = false;
    bool tty = false;
    bool detach = false;
    std::vector<std::string> env;
    std::string workdir;
    std::string user;
};

Result<int> run_exec(ExecArgs const& args) {
    auto vm = TRY(microvm::open(args.name));
    ExecOptions options{.command = *args.command,
                        .env = args.env,
                        .workdir = args.workdir,
                        .user = args.user,
                        .tty = args.tty,
                        .rows = 0,
                        .cols = 0,
                        .stdin_stream = args.interactive ? ExecStdio::from_fd(STDIN_FILENO)
                                                         : ExecStdio::closed_stream(),
                        .stdout_stream = ExecStdio::from_fd(STDOUT_FILENO),
                        .stderr_stream = ExecStdio::from_fd(STDERR_FILENO),
                        .detach = args.detach};
    if (args.tty) {
        auto const size =
            terminal_size(STDIN_FILENO).or_else([] { return terminal_size(STDOUT_FILENO); });
        if (size) {
            options.rows = size->rows;
            options.cols = size->cols;
        }
    }
    // A signal while the session starts (up to a minute for a VM that does not answer) ends
    // this client as it would any; from here on the forwarder takes them for the command.
    auto process = TRY(vm.exec(options));
    if (args.detach) {
        return 0;
    }
    BlockedSignals const blocked;
    // Raw mode only once the command runs, and back before anything is printed after it.
    std::optional<RawTerminal> raw;
    if (args.tty && args.interactive) {
        raw.emplace(TRY(RawTerminal::enter(STDIN_FILENO)));
    }
    Result<int> status = [&] {
        SignalForwarder const forwarder(process, {.signals = true, .resize = args.tty});
        return process.wait();
    }();
    raw.reset();
    return status;
}

} // namespace

std::function<Result<int>()> add_exec_command(CLI::App& app,
                                              std::shared_ptr<std::vector<std::string>> command) {
    auto args = std::make_shared<ExecArgs>();
    args->command = std::move(command);
    auto* exec = app.add_subcommand("exec", "Run a command in a running VM");
    exec->add_flag("-i,--interactive", args->interactive, "Pass stdin to the command");
    exec->add_flag("-t,--tty", args->tty, "Give the command a pseudo-terminal in the VM");
    exec->add_flag("-d,--detach", args->detach, "Start the command and return at once");
    exec->add_option("-e,--env", args->env, "Set an environment variable: KEY=VALUE");
    exec->add_option("-w,--workdir", args->workdir, "Working directory (absolute) in the VM");
    exec->add_option("-u,--user", args->user,
                     "USER[:GROUP], names or ids from the VM's /etc/passwd and /etc/group");
    exec->add_option("name", args->name, "The running VM")->required();
    exec->footer("Usage: microvm exec [OPTIONS] NAME COMMAND [ARG...]\n"
                 "Exit status: the command's; 126 when it cannot be executed, 127 when it is "
                 "not found, 125 when microvm failed (no such VM, VM not running, no such "
                 "user).");
    return [args]() -> Result<int> {
        if (args->command->empty()) {
            return fail("no command given: microvm exec NAME COMMAND [ARG...]");
        }
        for (auto const& entry : args->env) {
            if (entry.find('=') == std::string::npos || entry.front() == '=') {
                return fail("-e " + entry + ": not KEY=VALUE");
            }
        }
        if (!args->workdir.empty() && args->workdir.front() != '/') {
            return fail("-w " + args->workdir + ": not an absolute path");
        }
        return run_exec(*args);
    };
}

} // namespace microvm::cli
