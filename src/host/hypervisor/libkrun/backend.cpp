#include "host/hypervisor/libkrun/backend.hpp"

#include "host/hypervisor/libkrun/runner_config.hpp"
#include "host/hypervisor/runner_config_common.hpp"
#include "host/process/locate_runner.hpp"

namespace microvm::hypervisor::libkrun {

Result<RootfsView> LibkrunBackend::prepare_rootfs(RootfsView const& view) {
    return view;
}

Result<std::unique_ptr<VmHandle>> LibkrunBackend::start(VmConfig const& config) {
    auto const context = "start vm \"" + config.name + "\" with libkrun";
    if (config.vm_dir.empty()) {
        return std::unexpected(Error::message("vm_dir is required").context(context));
    }
    auto runner = m_options.runner;
    if (runner.empty()) {
        runner = TRY_CTX(process::locate_runner(), context);
    }
    return TRY_CTX(start_runner(build_runner_config(config, m_options.library), config, runner,
                                m_options.runner_env),
                   context);
}

} // namespace microvm::hypervisor::libkrun
