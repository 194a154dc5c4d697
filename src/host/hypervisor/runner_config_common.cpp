#include "host/hypervisor/runner_config_common.hpp"

namespace microvm::hypervisor {

contract::RunnerConfig common_runner_config(VmConfig const& config, contract::Engine engine) {
    contract::RunnerConfig out;
    out.engine = engine;
    out.root_path = config.root.source.string();
    out.root_upper_dir = config.root.upper_dir.string();
    out.root_work_dir = config.root.work_dir.string();
    out.num_vcpus = config.cpus;
    out.ram_mib = config.memory_mib;
    for (auto const& mount : config.mounts) {
        out.virtiofs_mounts.push_back(contract::RunnerMount{
            .tag = mount.tag,
            .path = mount.host_path.string(),
            .read_only = mount.read_only,
        });
    }
    for (auto const& port : config.ports) {
        out.port_forwards.push_back(contract::RunnerPortForward{
            .host = port.host,
            .guest = port.guest,
            .protocol = port.protocol,
            .host_address = port.host_address,
        });
    }
    out.console_log_path = config.console_log_path.string();
    out.stdout_path = config.stdout_path.string();
    out.stderr_path = config.stderr_path.string();
    out.result_path = config.result_path.string();
    out.log_level = config.log_level;
    out.read_only_policy = config.read_only_policy;
    return out;
}

} // namespace microvm::hypervisor
