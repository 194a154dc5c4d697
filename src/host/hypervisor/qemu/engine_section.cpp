#include "host/hypervisor/qemu/engine_section.hpp"

#include "host/hypervisor/qemu/boot_files.hpp"
#include "host/hypervisor/qemu/kernel_cache.hpp"

namespace microvm::hypervisor::qemu {

std::string machine_for(GuestKernel const&) {
    // q35 for both kernels. -M microvm buys nothing under TCG once q35 boots with qboot and the
    // PVH entry (measured side by side, docs/BENCHMARKS.md), and costs: its virtio-mmio devices
    // are legacy unless forced to 1.0 (virtiofsd refuses legacy devices), with ACPI the kernel
    // finds none of them and without it cannot power off, and it intermittently hangs at boot
    // under TCG. The microvm kernel keeps virtio-mmio built in for a KVM host that wants it.
    return "q35";
}

Result<std::string> add_qemu_section(contract::RunnerConfig& config,
                                     QemuSectionOptions const& options) {
    auto boot = TRY(prepare_boot_files(BootFilesRequest{
        .search = {.explicit_kernel = kernel_override(options.kernel),
                   .cache_roots = options.kernel_cache_roots.value_or(
                       kernel_cache_roots(kernel_cache_environment())),
                   .fragment_hash = std::string(microvm_kernel_fragment_hash()),
                   .boot_dir = options.boot_dir,
                   .modules_root = options.modules_root},
        .data_dir = options.data_dir,
        .init_binary = options.init_binary,
        // The runner adds a virtio-net device only for port forwards.
        .network = config.network == NetworkMode::user,
    }));
    config.engine = contract::Engine::qemu;
    config.qemu = options.qemu;
    config.qemu.kernel = boot.kernel.kernel.string();
    config.qemu.initrd = boot.initrd.string();
    config.qemu.machine = machine_for(boot.kernel);
    return describe(boot.kernel);
}

} // namespace microvm::hypervisor::qemu
