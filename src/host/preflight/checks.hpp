// The built-in preflight checks (microvm/preflight.hpp), one function each, with their inputs
// explicit so the tests can give each one the situation it must recognise.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <microvm/options.hpp>

#include "base/error.hpp"
#include "base/kvm.hpp"

namespace microvm::preflight {

// Every share's host directory, and --rootfs, exist and are directories.
Result<void> check_shares(RunOptions const& options);

// The warning to give when `backend` will run without KVM, if it will. qemu falls back to
// TCG; libkrun cannot run at all without KVM, which check_kvm() reports as an error.
std::optional<std::string> kvm_warning(base::KvmProbe const& probe);
Result<void> check_kvm(BackendKind backend, base::KvmProbe const& probe);

// What the qemu backend starts: the qemu binary (resolved in `search_path`), virtiofsd and a
// guest kernel, found as the backend finds it (the caller's, else $MICROVM_KERNEL, else the
// microvm kernel in a kernel cache, else a distribution kernel under `boot_dir`).
struct QemuToolPaths {
    std::string qemu_binary;
    std::filesystem::path virtiofsd;
    std::filesystem::path kernel; // the caller's --kernel; may be empty
    std::vector<std::filesystem::path> kernel_cache_roots;
    std::string kernel_fragment_hash;
    std::filesystem::path boot_dir = "/boot";
    std::filesystem::path modules_root = "/lib/modules";
    std::string search_path;
};
QemuToolPaths default_qemu_tool_paths(RunOptions const& options);
Result<void> check_qemu_tools(QemuToolPaths const& paths);

// At least `min_bytes` free for an unprivileged writer in the file system of `dir`.
Result<void> check_free_space(std::filesystem::path const& dir, std::uint64_t min_bytes);

// The host side of `port` can be bound now. When it cannot because something holds it, the
// error names the port and, when /proc shows it, the holder's pid and command name.
Result<void> check_port(PortForward const& port);

} // namespace microvm::preflight
