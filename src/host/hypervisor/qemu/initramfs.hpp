// The cached base initramfs of the qemu engine: microvm-init plus the modules it loads.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "host/hypervisor/qemu/modules.hpp"

namespace microvm::hypervisor::qemu {

struct InitramfsRequest {
    // The data directory (DESIGN.md §4.5), which must exist; archives go to
    // <data_dir>/initramfs/ (created 0700 on first use).
    std::filesystem::path data_dir;
    // The static microvm-init binary.
    std::filesystem::path init_binary;
    std::string kernel_version;
    // From resolve_modules(), in load order.
    std::vector<KernelModule> modules;
};

// Returns <data_dir>/initramfs/<key>.cpio.gz, building it first when it does not exist.
// key = sha256 over a layout version, the kernel version, each module's name and bytes, and
// the init binary's bytes, so a rebuilt init or a kernel update yields a new archive and an
// existing one is never rewritten. A new archive is written to a temporary file in the same
// directory and published by rename(2), so concurrent builders never see a partial file
// (the last rename wins, and both wrote the same bytes).
// Fails when an input cannot be read or the archive cannot be written; nothing partial is
// left behind.
// FIXME: archives of kernels and inits no longer installed are never removed; each is well
// under 1 MiB, so the cache grows only with kernel updates and rebuilt inits.
Result<std::filesystem::path> ensure_initramfs(InitramfsRequest const& request);

} // namespace microvm::hypervisor::qemu
