// What the qemu engine boots: the guest kernel and the initramfs built for it.
#pragma once

#include <filesystem>

#include "base/error.hpp"
#include "host/hypervisor/qemu/kernel.hpp"

namespace microvm::hypervisor::qemu {

struct BootFiles {
    GuestKernel kernel;
    std::filesystem::path initrd;
};

struct BootFilesRequest {
    // Where to look for the kernel; search.explicit_kernel is the caller's --kernel (already
    // combined with $MICROVM_KERNEL, see kernel_override()).
    KernelSearch search;
    std::filesystem::path data_dir;
    std::filesystem::path init_binary;
    // The VM has a network device, so the guest also needs virtio_net.
    bool network = false;
};

// Finds the kernel, resolves the modules the guest needs for it, and returns the cached
// initramfs (building it on first use). Fails with the step's error: no kernel, a module
// missing from the kernel's modules.dep, or an initramfs that cannot be built.
Result<BootFiles> prepare_boot_files(BootFilesRequest const& request);

} // namespace microvm::hypervisor::qemu
