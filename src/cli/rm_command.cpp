#include "cli/rm_command.hpp"

#include <memory>
#include <string>
#include <vector>

#include "cli/each_vm.hpp"
#include "cli/stop_command.hpp"

namespace microvm::cli {

namespace {

struct RmArgs {
    bool force = false;
    std::vector<std::string> names;
};

Result<void> remove_vm(Vm& vm, bool force) {
    if (!force) {
        auto const info = TRY(vm.status());
        if (info.status == VmStatus::running) {
            return fail("vm " + vm.name() + " is running: stop it first, or use rm -f");
        }
    }
    // Stops a running VM first (-f), then deletes only the VM's own directory: never the image
    // cache or a --rootfs directory, which the VM only ever read.
    TRY(vm.stop(std::chrono::seconds(default_stop_timeout_seconds)));
    return vm.remove();
}

} // namespace

std::function<Result<int>()> add_rm_command(CLI::App& app) {
    auto args = std::make_shared<RmArgs>();
    auto* rm = app.add_subcommand("rm", "Remove VMs: their state, logs and writable layer");
    rm->add_flag("-f,--force", args->force, "Stop a running VM first instead of refusing");
    rm->add_option("names", args->names, "VMs to remove")->required();
    rm->footer("Never touches the image cache or a --rootfs directory. Exit status 125 when any "
               "VM could not be removed (unknown, or running without -f).");
    return [args]() -> Result<int> {
        return for_each_vm("rm", args->names, [&](Vm& vm) { return remove_vm(vm, args->force); });
    };
}

} // namespace microvm::cli
