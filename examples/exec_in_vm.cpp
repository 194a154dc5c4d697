// An example of talking to a running VM with libmicrovm: start a VM that idles, run a command
// in it with Vm::exec(), feed that command's stdin through a pipe the library makes, copy its
// output to this program's stdout, and print its exit code; then stop the VM.
//
//     microvm-example-exec (IMAGE | --rootfs DIR) [COMMAND...]
//
// The default command is `tr a-z A-Z`, fed "hello from the host\n". The data directory is
// $MICROVM_DATA_DIR, else ~/.local/share/microvm, as for the microvm command. Exits with the
// command's status, or 125 when microvm could not run it.
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include <microvm/microvm.hpp>

namespace {

int fail(std::string_view what, microvm::Error const& error) {
    std::cerr << "microvm-example-exec: " << what << ": " << error.text() << "\n";
    return 125;
}

} // namespace

int main(int argc, char** argv) {
    spdlog::set_default_logger(std::make_shared<spdlog::logger>(
        "example", std::make_shared<spdlog::sinks::stderr_sink_st>()));
    std::vector<std::string> args(argv + 1, argv + argc);
    std::string image;
    microvm::RunOptions options;
    std::size_t next = 0;
    if (args.size() >= 2 && args[0] == "--rootfs") {
        options.rootfs = args[1];
        next = 2;
    } else if (!args.empty()) {
        image = args[0];
        next = 1;
    } else {
        std::cerr << "usage: microvm-example-exec (IMAGE | --rootfs DIR) [COMMAND...]\n";
        return 125;
    }
    // The VM's own workload only keeps it up; the work is done by exec.
    options.command = {"sleep", "3600"};
    options.name = "example-exec-" + std::to_string(::getpid());
    auto vm = microvm::run(image, options);
    if (!vm) {
        return fail("start the VM", vm.error());
    }

    microvm::ExecOptions exec;
    exec.command.assign(args.begin() + static_cast<std::ptrdiff_t>(next), args.end());
    if (exec.command.empty()) {
        exec.command = {"tr", "a-z", "A-Z"};
    }
    exec.stdin_stream = microvm::ExecStdio::pipe();
    exec.stdout_stream = microvm::ExecStdio::from_fd(STDOUT_FILENO);
    exec.stderr_stream = microvm::ExecStdio::from_fd(STDERR_FILENO);
    // Waits for the VM to boot far enough to run it.
    auto process = vm->exec(exec);
    if (!process) {
        (void)vm->remove();
        return fail("exec", process.error());
    }
    std::string_view const input = "hello from the host\n";
    if (::write(process->stdin_fd(), input.data(), input.size()) < 0) {
        std::cerr << "microvm-example-exec: write stdin failed\n";
    }
    (void)process->close_stdin();
    auto status = process->wait();

    (void)vm->remove(); // stops the VM and deletes its directory
    if (!status) {
        return fail("wait", status.error());
    }
    std::cerr << "exit code: " << *status << "\n";
    return *status;
}
