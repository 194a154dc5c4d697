// Where `make kernel` (scripts/build-kernel.sh) leaves the microvm guest kernel, and how the
// qemu backend finds it again at run time, whoever the caller is.
//
// The cache holds one directory per build, <root>/<source version>-<recipe hash>/: the Debian
// linux-source version it was built from and the first 16 hex digits of the SHA-256 of the
// recipe, kernel/microvm.config followed by kernel/patches/*.patch in name order. It holds
// bzImage, and vmlinux: the same kernel uncompressed, which the qemu engine boots through its
// PVH entry point. This library was compiled against one recipe (microvm_kernel_fragment_hash()),
// so it only boots a kernel built from it: a kernel left over from an older recipe may lack an
// option or a patch this version's guest side needs.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace microvm::hypervisor::qemu {

// The release suffix the fragment gives the kernel (CONFIG_LOCALVERSION): a kernel whose
// release ends in it has virtio, virtio-mmio and virtio-fs built in and needs no modules.
inline constexpr std::string_view microvm_kernel_release_suffix = "-microvm";

// The uncompressed kernel next to a cached bzImage, booted in its place when present.
inline constexpr char cached_pvh_kernel_file[] = "vmlinux";

// The recipe hash this library was built with (16 lowercase hex digits).
std::string_view microvm_kernel_fragment_hash();

// "<source version>-<first 16 hex digits of sha256(recipe)>", as scripts/build-kernel.sh names
// its cache entries (recipe: the fragment's bytes followed by each patch's).
std::string kernel_cache_key(std::string_view source_version, std::string_view fragment);

struct KernelCacheEnvironment {
    std::optional<std::string> microvm_kernel_cache = std::nullopt; // $MICROVM_KERNEL_CACHE
    std::optional<std::string> xdg_cache_home = std::nullopt;       // $XDG_CACHE_HOME
    std::optional<std::string> home = std::nullopt;                 // $HOME
};

// This process's environment (empty variables count as unset); without $HOME, the user's home
// directory from the password database.
KernelCacheEnvironment kernel_cache_environment();

// Where to look, first match wins: $MICROVM_KERNEL_CACHE, else $XDG_CACHE_HOME/microvm/kernels,
// else $HOME/.cache/microvm/kernels (where scripts/build-kernel.sh writes); then
// /var/cache/microvm/kernels, a kernel installed once for every user of the machine. Relative
// values are ignored.
std::vector<std::filesystem::path> kernel_cache_roots(KernelCacheEnvironment const& env);

// The bzImage of the newest source version built from `fragment_hash` in the first root that
// has one; std::nullopt when there is none (the caller falls back to a distribution kernel).
std::optional<std::filesystem::path>
find_cached_kernel(std::vector<std::filesystem::path> const& roots, std::string_view fragment_hash);

} // namespace microvm::hypervisor::qemu
