#include "cli/logs_command.hpp"

#include <unistd.h>

#include <memory>
#include <string>

#include <microvm/microvm.hpp>

namespace microvm::cli {

namespace {

struct LogsArgs {
    bool follow = false;
    bool console = false;
    std::string name;
};

} // namespace

std::function<Result<int>()> add_logs_command(CLI::App& app) {
    auto args = std::make_shared<LogsArgs>();
    auto* logs = app.add_subcommand("logs", "Print a VM's output");
    logs->add_flag("-f,--follow", args->follow, "Keep printing new output until the VM ends");
    logs->add_flag("--console", args->console,
                   "The guest console (kernel and init messages) instead of the workload's output");
    logs->add_option("name", args->name, "The VM")->required();
    logs->footer("The workload's stdout and stderr go to microvm's stdout and stderr.");
    return [args]() -> Result<int> {
        auto vm = TRY(microvm::open(args->name));
        TRY(vm.logs(STDOUT_FILENO, STDERR_FILENO,
                    args->console ? LogStream::console : LogStream::workload,
                    args->follow ? LogFollow::yes : LogFollow::no));
        return 0;
    };
}

} // namespace microvm::cli
