// Finding the guest kernel the qemu engine boots.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace microvm::hypervisor::qemu {

struct GuestKernel {
    std::filesystem::path kernel; // the bzImage
    std::string version;          // kernel release, e.g. "6.1.0-56-amd64"; may be empty
    // <modules_root>/<version>; empty when the kernel has no installed modules (a kernel
    // with virtio built in needs none).
    std::filesystem::path modules_dir;
};

struct KernelSearch {
    // --kernel / MICROVM_KERNEL (see kernel_override()); empty: search boot_dir.
    std::filesystem::path explicit_kernel;
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
// Otherwise: the newest boot_dir/vmlinuz-<version> (by version, not by string) whose
// modules_root/<version> directory exists. Fails with "no guest kernel found: install
// linux-image-amd64 or pass --kernel" when there is none, and when the kernel chosen cannot be
// read by this user (Ubuntu installs kernels 0600).
Result<GuestKernel> find_guest_kernel(KernelSearch const& search);

// Orders kernel releases the way `sort -V` does: runs of digits compare as numbers, other
// characters byte by byte, so "6.1.0-10" > "6.1.0-9". Returns <0, 0 or >0.
int compare_kernel_versions(std::string_view a, std::string_view b);

} // namespace microvm::hypervisor::qemu
