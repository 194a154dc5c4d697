#include "cli/logs_command.hpp"

#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <microvm/microvm.hpp>

namespace microvm::cli {

namespace {

struct LogsArgs {
    bool follow = false;
    bool console = false;
    std::string name;
};

// Said once, before the output, on stderr: the capped logs (--log-max-size) keep the newest
// output, and this much older output is gone.
void say_what_was_dropped(Vm const& vm, bool console) {
    auto const info = vm.status();
    if (!info || !info->log_max_size) {
        return;
    }
    auto const& dropped = info->logs_dropped;
    std::vector<std::pair<char const*, std::uint64_t>> const streams =
        console
            ? std::vector<std::pair<char const*, std::uint64_t>>{{"console", dropped.console_bytes}}
            : std::vector<std::pair<char const*, std::uint64_t>>{{"stdout", dropped.stdout_bytes},
                                                                 {"stderr", dropped.stderr_bytes}};
    for (auto const& [name, bytes] : streams) {
        if (bytes != 0) {
            std::fprintf(stderr,
                         "microvm: ... %llu bytes of older %s dropped: the log keeps the newest "
                         "%llu bytes (--log-max-size) ...\n",
                         static_cast<unsigned long long>(bytes), name,
                         static_cast<unsigned long long>(*info->log_max_size));
        }
    }
}

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
        say_what_was_dropped(vm, args->console);
        TRY(vm.logs(STDOUT_FILENO, STDERR_FILENO,
                    args->console ? LogStream::console : LogStream::workload,
                    args->follow ? LogFollow::yes : LogFollow::no));
        return 0;
    };
}

} // namespace microvm::cli
