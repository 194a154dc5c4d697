#include "host/hypervisor/qemu/qemu_backend.hpp"

#include "host/hypervisor/qemu/boot_files.hpp"
#include "host/hypervisor/qemu/kernel.hpp"
#include "host/hypervisor/qemu/make_runner_config.hpp"
#include "host/process/locate_runner.hpp"
#include "host/process/runner_launch.hpp"
#include "host/process/spawn.hpp"

namespace microvm::hypervisor::qemu {

Result<RootfsView> QemuBackend::prepare_rootfs(RootfsView const& view) {
    return view;
}

Result<std::unique_ptr<VmHandle>> QemuBackend::start(VmConfig const& config) {
    std::string const what = "start vm " + config.name + " (qemu)";
    auto runner = m_options.runner;
    if (runner.empty()) {
        runner = TRY_CTX(process::locate_runner(), what);
    }
    auto init = m_options.init_binary.empty() ? runner.parent_path() / init_binary_name
                                              : m_options.init_binary;
    auto boot = TRY_CTX(prepare_boot_files(BootFilesRequest{
                            .search = {.explicit_kernel = kernel_override(config.kernel),
                                       .boot_dir = m_options.boot_dir,
                                       .modules_root = m_options.modules_root},
                            .data_dir = m_options.data_dir,
                            .init_binary = init,
                            // The runner adds a virtio-net device only for port forwards.
                            .network = !config.ports.empty(),
                        }),
                        what);
    auto runner_config =
        make_runner_config(config, boot.kernel.kernel, boot.initrd, m_options.qemu);
    TRY_CTX(contract::validate(runner_config), what);
    auto handle = TRY_CTX(
        process::launch_runner(runner_config,
                               process::LaunchOptions{
                                   .runner = runner,
                                   .vm_dir = config.vm_dir,
                                   .env = m_options.runner_env ? *m_options.runner_env
                                                               : process::current_environment(),
                               }),
        what);
    return std::unique_ptr<VmHandle>(std::move(handle));
}

} // namespace microvm::hypervisor::qemu
