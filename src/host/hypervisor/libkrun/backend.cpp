#include "host/hypervisor/libkrun/backend.hpp"

#include "host/hypervisor/libkrun/runner_config.hpp"
#include "host/process/locate_runner.hpp"
#include "host/process/runner_launch.hpp"
#include "host/process/spawn.hpp"

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
    auto runner_config = build_runner_config(config, m_options.library);
    TRY_CTX(contract::validate(runner_config), context);
    auto handle = TRY_CTX(
        process::launch_runner(runner_config,
                               process::LaunchOptions{
                                   .runner = runner,
                                   .vm_dir = config.vm_dir,
                                   .env = m_options.runner_env ? *m_options.runner_env
                                                               : process::current_environment(),
                               }),
        context);
    return std::unique_ptr<VmHandle>(std::move(handle));
}

} // namespace microvm::hypervisor::libkrun
