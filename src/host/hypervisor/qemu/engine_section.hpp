// What the qemu engine adds to a VM's runner.json: the guest kernel and the initramfs built for
// it (microvm-init plus the modules it loads), the machine and the settings of qemu itself.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "contract/runner_config.hpp"
#include "host/hypervisor/qemu/kernel.hpp"

namespace microvm::hypervisor::qemu {

struct QemuSectionOptions {
    // The data directory: the initramfs cache lives in <data_dir>/initramfs/.
    std::filesystem::path data_dir;
    // The static microvm-init that becomes the initramfs' /init.
    std::filesystem::path init_binary;
    // The caller's --kernel; empty: $MICROVM_KERNEL, else the microvm kernel from the cache,
    // else the newest installed distribution kernel (kernel_override(), find_guest_kernel()).
    std::filesystem::path kernel;
    // Where to look for a distribution kernel (tests point these at fake trees).
    std::filesystem::path boot_dir = "/boot";
    std::filesystem::path modules_root = "/lib/modules";
    // Where to look for the microvm kernel `make kernel` built (kernel_cache.hpp);
    // std::nullopt: kernel_cache_roots() of this process's environment.
    std::optional<std::vector<std::filesystem::path>> kernel_cache_roots;
    // qemu's own settings (binary, virtiofsd, accel); kernel, initrd and machine are filled in.
    contract::QemuSettings qemu;
};

// The qemu machine for a kernel: q35 for every kernel. A distribution kernel needs PCI (its
// virtio-mmio is a module that is not in the initramfs); for the microvm kernel -M microvm is no
// faster under TCG than q35 with qboot and has problems of its own (see the definition).
std::string machine_for(GuestKernel const& kernel);

// Finds the kernel, ensures the initramfs (with virtio_net when `config` has a network
// device) and fills config.engine and config.qemu. Returns the kernel as describe() words it
// ("6.1.192-microvm (/root/.cache/.../bzImage)"), for `inspect`. Fails with the step's error:
// no kernel, a missing module or init, an initramfs that cannot be built.
Result<std::string> add_qemu_section(contract::RunnerConfig& config,
                                     QemuSectionOptions const& options);

} // namespace microvm::hypervisor::qemu
