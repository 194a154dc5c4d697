// Which kernel modules the guest must load, and in which order.
#pragma once

#include <array>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace microvm::hypervisor::qemu {

// Debian's kernel builds every virtio driver as a module (qemu-recipes.md), so microvm-init
// must load these before it can reach the root share and the output ports.
inline constexpr std::array<std::string_view, 3> guest_base_modules = {
    "virtio_pci",     // the PCI transport of every virtio device below
    "virtiofs",       // the root share and every other share
    "virtio_console", // the workload's stdout/stderr/status ports
};
// Added when the VM has a network device.
inline constexpr std::array<std::string_view, 1> guest_network_modules = {"virtio_net"};

struct KernelModule {
    std::string name;           // canonical module name: '-' written as '_', no suffix
    std::filesystem::path path; // the file in the modules dir (.ko, .ko.xz or .ko.zst)
};

// Resolves `wanted` (module names; '-' and '_' are the same) with all their dependencies
// from <modules_dir>/modules.dep, dependencies first, each module once. Modules listed in
// modules.builtin are part of the kernel image and skipped. An empty `modules_dir` means a
// kernel without loadable modules: the result is empty.
// Fails when modules.dep cannot be read, or a wanted module is neither in modules.dep nor
// built in.
Result<std::vector<KernelModule>> resolve_modules(std::filesystem::path const& modules_dir,
                                                  std::span<std::string_view const> wanted);

// "virtio-rng.ko.xz" -> "virtio_rng". Empty when the name is not a module file.
std::string module_name_from_path(std::filesystem::path const& path);

} // namespace microvm::hypervisor::qemu
