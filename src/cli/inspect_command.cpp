#include "cli/inspect_command.hpp"

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/vm_format.hpp"

namespace microvm::cli {

std::function<Result<int>()> add_inspect_command(CLI::App& app) {
    auto names = std::make_shared<std::vector<std::string>>();
    auto* inspect = app.add_subcommand("inspect", "Show VMs' configuration and state as JSON");
    inspect->add_option("names", *names, "VMs to inspect")->required();
    inspect->footer("Prints a JSON array, one object per VM: state (status, pid, exit_code, "
                    "times), config, mounts (read_only, enforced: host+guest, guest-only, or "
                    "unknown until the runner reports; allow_setuid, allow_devices: whether "
                    "the share may hold setuid files or device nodes), "
                    "ports. Exit status 125 when a name is unknown; nothing is printed then.");
    return [names]() -> Result<int> {
        nlohmann::json out = nlohmann::json::array();
        for (auto const& name : *names) {
            auto vm = TRY(microvm::open(name));
            out.push_back(vm_json(TRY(vm.status())));
        }
        std::cout << out.dump(4) << "\n";
        return 0;
    };
}

} // namespace microvm::cli
