#include "host/microvm/runner_config.hpp"

namespace microvm {

std::optional<std::uint64_t> effective_log_max_size(RunOptions const& options) {
    // validate() refuses an explicit cap for libkrun, whose engine cannot hold one yet.
    if (options.backend != BackendKind::qemu) {
        return std::nullopt;
    }
    std::uint64_t const size = options.log_max_size.value_or(default_log_max_size);
    return size == 0 ? std::nullopt : std::optional<std::uint64_t>(size);
}

contract::RunnerConfig runner_config_for(RunOptions const& options, rootfs::RootfsView const& view,
                                         state::VmDir const& vm_dir) {
    contract::RunnerConfig out;
    out.root_path = view.source.string();
    out.root_upper_dir = view.upper_dir.string();
    out.root_work_dir = view.work_dir.string();
    out.num_vcpus = options.cpus;
    out.ram_mib = options.memory_mib;
    for (auto const& mount : options.mounts) {
        out.virtiofs_mounts.push_back(contract::RunnerMount{
            .tag = mount.tag,
            .path = mount.host_path.string(),
            .read_only = mount.read_only,
            .allow_setuid = mount.allow_setuid,
            .allow_devices = mount.allow_devices,
        });
    }
    for (auto const& port : options.ports) {
        out.port_forwards.push_back(contract::RunnerPortForward{
            .host = port.host,
            .guest = port.guest,
            .protocol = port.protocol,
            .host_address = port.host_address,
        });
    }
    out.network = options.network;
    out.egress = options.egress;
    out.console_log_path = vm_dir.console_log().string();
    out.stdout_path = vm_dir.stdout_log().string();
    out.stderr_path = vm_dir.stderr_log().string();
    out.log_max_size = effective_log_max_size(options).value_or(0);
    out.report_path = vm_dir.runner_report().string();
    if (options.auto_remove) {
        out.remove_dir = vm_dir.path().string();
    }
    out.log_level = options.log_level;
    out.read_only_policy = options.read_only_policy;
    return out;
}

} // namespace microvm
