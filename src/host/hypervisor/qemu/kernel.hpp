// Finding the guest kernel the qemu engine boots.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace microvm::hypervisor::qemu {

struct GuestKernel {
    std::filesystem::path kernel; // the bzImage
    std::string version;          // kernel release, e.g. "6.1.0-56-amd64"; may be empty
    // <modules_root>/<version>; empty when the kernel has no installed modules (a kernel
    // with virtio built in needs none).
    std::filesystem::path modules_dir;
    // The microvm guest kernel (kernel/microvm.config; its release ends in "-microvm"): virtio,
    // virtio-mmio and virtio-fs are built in, so it needs no modules and boots on -M microvm.
    bool microvm = false;
};

struct KernelSearch {
    // --kernel / MICROVM_KERNEL (see kernel_override()); empty: the microvm kernel from the
    // cache, else a distribution kernel from boot_dir.
    std::filesystem::path explicit_kernel;
    // Where `make kernel` caches the microvm kernel (see kernel_cache.hpp); empty: do not look.
    std::vector<std::filesystem::path> cache_roots;
    // The fragment the cached kernel must have been built from.
    std::string fragment_hash;
    // Injectable so tests can use a fake layout.
    std::filesystem::path boot_dir = "/boot";
    std::filesystem::path modules_root = "/lib/modules";
};

// The explicit kernel the caller asked for: `option` (--kernel) when set, else
// $MICROVM_KERNEL, else empty.
std::filesystem::path kernel_override(std::filesystem::path const& option);

// With an explicit kernel: that file (made absolute), which must exist and be a regular file;
// its version is read from the bzImage header (falling back to a "vmlinuz-<version>" file
// name) and its modules dir is used when it exists.
// Otherwise: the microvm kernel built from `fragment_hash` in the first of cache_roots that has
// one (find_cached_kernel()); failing that, the newest boot_dir/vmlinuz-<version> (by version,
// not by string) whose modules_root/<version> directory exists. Fails with "no guest kernel found:
// install linux-image-amd64 or pass --kernel" when there is none, and when the kernel chosen cannot
// be read by this user (Ubuntu installs kernels 0600).
Result<GuestKernel> find_guest_kernel(KernelSearch const& search);

// What `inspect` shows: "<release> (<path>)", e.g. "6.1.192-microvm (/root/.cache/...)".
std::string describe(GuestKernel const& kernel);

// Orders kernel releases the way `sort -V` does: runs of digits compare as numbers, other
// characters byte by byte, so "6.1.0-10" > "6.1.0-9". Returns <0, 0 or >0.
int compare_kernel_versions(std::string_view a, std::string_view b);

} // namespace microvm::hypervisor::qemu
