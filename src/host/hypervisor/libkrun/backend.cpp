#include "host/hypervisor/libkrun/backend.hpp"

#include "host/hypervisor/libkrun/runner_config.hpp"
#include "host/process/runner_launch.hpp"

namespace microvm::hypervisor::libkrun {

Result<RootfsView> LibkrunBackend::prepare_rootfs(RootfsView const& view) {
    return view;
}

Result<std::unique_ptr<VmHandle>> LibkrunBackend::start(VmConfig const& config) {
    auto const context = "start vm \"" + config.name + "\" with libkrun";
    if (config.vm_dir.empty()) {
        return std::unexpected(Error::message("vm_dir is required").context(context));
    }
    auto handle = TRY_CTX(process::launch_runner(build_runner_config(config, m_options.library),
                                                 process::LaunchOptions{
                                                     .runner = m_options.runner,
                                                     .vm_dir = config.vm_dir,
                                                     .env = m_options.runner_env,
                                                 }),
                          context);
    return std::unique_ptr<VmHandle>(std::move(handle));
}

} // namespace microvm::hypervisor::libkrun
