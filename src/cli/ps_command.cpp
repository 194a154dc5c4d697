#include "cli/ps_command.hpp"

#include <algorithm>
#include <iostream>
#include <memory>

#include "cli/human_units.hpp"
#include "cli/table.hpp"
#include "cli/vm_format.hpp"
#include "host/state/vm_record.hpp"

namespace microvm::cli {

namespace {

struct PsArgs {
    bool all = false;
    std::string format = "table";
};

} // namespace

std::string ps_table(std::vector<VmInfo> const& vms, std::int64_t now) {
    std::vector<std::vector<std::string>> rows = {
        {"NAME", "IMAGE", "STATUS", "CREATED", "PORTS", "MOUNTS"}};
    for (auto const& vm : vms) {
        rows.push_back({vm.name, source_text(vm), status_text(vm),
                        human_age(state::format_time(vm.created), now), ports_text(vm),
                        mounts_text(vm)});
    }
    return format_table(rows);
}

std::function<Result<int>()> add_ps_command(CLI::App& app) {
    auto args = std::make_shared<PsArgs>();
    auto* ps = app.add_subcommand("ps", "List VMs (running ones; -a for all)");
    ps->add_flag("-a,--all", args->all, "Also list created and exited VMs");
    ps->add_option("--format", args->format, "table (default) or json")
        ->check(CLI::IsMember({"table", "json"}));
    ps->footer("STATUS is running (with \"(N exec)\" while N exec sessions are connected), "
               "exited (CODE), exited (error) when the runner left no status "
               "(it failed or was killed), or created. MOUNTS marks read-only shares with :ro.");
    return [args]() -> Result<int> {
        auto vms = TRY(microvm::list());
        if (!args->all) {
            std::erase_if(vms, [](VmInfo const& vm) { return vm.status != VmStatus::running; });
        }
        if (args->format == "json") {
            nlohmann::json out = nlohmann::json::array();
            for (auto const& vm : vms) {
                out.push_back(vm_json(vm));
            }
            std::cout << out.dump(4) << "\n";
            return 0;
        }
        std::cout << ps_table(vms, static_cast<std::int64_t>(std::time(nullptr)));
        return 0;
    };
}

} // namespace microvm::cli
