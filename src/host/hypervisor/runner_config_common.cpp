#include "host/hypervisor/runner_config_common.hpp"

#include "base/safe_file.hpp"
#include "host/process/runner_launch.hpp"
#include "host/process/spawn.hpp"

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
    out.network = config.network;
    out.outbound = config.outbound;
    out.console_log_path = config.console_log_path.string();
    out.stdout_path = config.stdout_path.string();
    out.stderr_path = config.stderr_path.string();
    out.result_path = config.result_path.string();
    if (config.remove_vm_dir_on_exit) {
        out.remove_dir = config.vm_dir.string();
    }
    out.log_level = config.log_level;
    out.read_only_policy = config.read_only_policy;
    return out;
}

Result<std::string> prepare_runtime_dir(std::filesystem::path const& vm_dir) {
    std::string const path = (vm_dir / runtime_dir_name).string();
    if (path.size() > contract::max_runtime_dir_length) {
        // A deep data directory (the VM name alone may take 64 bytes) leaves no room for the
        // sockets' names within a unix socket address. The engine then uses a directory under
        // /tmp instead, which a runner killed with SIGKILL leaves behind.
        return std::string();
    }
    auto const context = "create runtime directory " + path;
    // Through the safe-file layer: a symlink planted at `run` is refused, not followed.
    auto dir = TRY_CTX(base::open_root(vm_dir), context);
    TRY_CTX(base::mkdirs_in_root(dir, runtime_dir_name, 0700), context);
    return path;
}

Result<std::unique_ptr<VmHandle>>
start_runner(contract::RunnerConfig runner_config, VmConfig const& config,
             std::filesystem::path const& runner,
             std::optional<std::vector<std::string>> const& runner_env) {
    runner_config.runtime_dir = TRY(prepare_runtime_dir(config.vm_dir));
    TRY(contract::validate(runner_config));
    auto handle = TRY(process::launch_runner(
        runner_config, process::LaunchOptions{
                           .runner = runner,
                           .vm_dir = config.vm_dir,
                           .env = runner_env ? *runner_env : process::current_environment(),
                           .held_lock_fd = config.held_lock_fd,
                       }));
    return std::unique_ptr<VmHandle>(std::move(handle));
}

} // namespace microvm::hypervisor
