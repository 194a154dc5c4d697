#include "cli/stop_command.hpp"

#include <memory>
#include <string>
#include <vector>

#include "cli/each_vm.hpp"

namespace microvm::cli {

namespace {

struct StopArgs {
    unsigned timeout_seconds = default_stop_timeout_seconds;
    std::vector<std::string> names;
};

} // namespace

std::function<Result<int>()> add_stop_command(CLI::App& app) {
    auto args = std::make_shared<StopArgs>();
    auto* stop = app.add_subcommand("stop", "Stop running VMs: power off, kill after a timeout");
    stop->add_option("-t,--time", args->timeout_seconds,
                     "Seconds to wait for the guest to power off before killing it")
        ->check(CLI::NonNegativeNumber);
    stop->add_option("names", args->names, "VMs to stop")->required();
    stop->footer("Stopping a VM that is not running succeeds. Exit status 125 when any VM "
                 "could not be stopped (e.g. an unknown name).");
    return [args]() -> Result<int> {
        return for_each_vm("stop", args->names, [&](Vm& vm) {
            return vm.stop(std::chrono::seconds(args->timeout_seconds));
        });
    };
}

} // namespace microvm::cli
