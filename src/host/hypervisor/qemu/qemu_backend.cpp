#include "host/hypervisor/qemu/qemu_backend.hpp"

#include "host/hypervisor/qemu/boot_files.hpp"
#include "host/hypervisor/qemu/kernel.hpp"
#include "host/hypervisor/qemu/kernel_cache.hpp"
#include "host/hypervisor/qemu/make_runner_config.hpp"
#include "host/hypervisor/runner_config_common.hpp"
#include "host/process/locate_runner.hpp"

namespace microvm::hypervisor::qemu {

std::string machine_for(GuestKernel const&) {
    // q35 for both kernels. -M microvm buys nothing under TCG once q35 boots with qboot and the
    // PVH entry (measured side by side, docs/BENCHMARKS.md), and costs: its virtio-mmio devices
    // are legacy unless forced to 1.0 (virtiofsd refuses legacy devices), with ACPI the kernel
    // finds none of them and without it cannot power off, and it intermittently hangs at boot
    // under TCG. The microvm kernel keeps virtio-mmio built in for a KVM host that wants it.
    return "q35";
}

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
                                       .cache_roots = m_options.kernel_cache_roots.value_or(
                                           kernel_cache_roots(kernel_cache_environment())),
                                       .fragment_hash = std::string(microvm_kernel_fragment_hash()),
                                       .boot_dir = m_options.boot_dir,
                                       .modules_root = m_options.modules_root},
                            .data_dir = m_options.data_dir,
                            .init_binary = init,
                            // The runner adds a virtio-net device only for port forwards.
                            .network = config.network == NetworkMode::user,
                        }),
                        what);
    contract::QemuSettings qemu = m_options.qemu;
    qemu.machine = machine_for(boot.kernel);
    auto handle = TRY_CTX(
        start_runner(make_runner_config(config, boot.kernel.kernel, boot.initrd, std::move(qemu)),
                     config, runner, m_options.runner_env),
        what);
    m_booted_kernel = describe(boot.kernel);
    return handle;
}

} // namespace microvm::hypervisor::qemu
