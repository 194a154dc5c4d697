// What a backend needs to start one VM: the backend-neutral input of Backend::start().
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <microvm/options.hpp>

namespace microvm::hypervisor {

// A share as the backend sees it; read_only travels unchanged from VirtioFSMount.
struct FilesystemMount {
    std::string tag;
    std::filesystem::path host_path;
    bool read_only = false;
};

// The VM's root: an immutable source plus, when set, a per-VM upper directory that the
// engine overlays on it so the source is never written.
struct RootfsView {
    std::filesystem::path source;
    std::filesystem::path upper_dir; // empty: the source itself is the (writable) root
    std::filesystem::path work_dir;  // overlayfs work directory, beside upper_dir
};

struct VmConfig {
    std::string name;
    RootfsView root;
    std::uint32_t cpus = 1;
    std::uint32_t memory_mib = 512;
    std::vector<FilesystemMount> mounts;
    std::vector<PortForward> ports;
    NetworkMode network = NetworkMode::user;
    Outbound outbound = Outbound::allow;
    ReadOnlyPolicy read_only_policy = ReadOnlyPolicy::require_host;
    std::uint32_t log_level = 0;
    // The VM's own directory (vms/<name>/): runner.json, logs, sockets.
    std::filesystem::path vm_dir;
    // Where the guest console and the workload's output go.
    std::filesystem::path console_log_path;
    std::filesystem::path stdout_path;
    std::filesystem::path stderr_path;
    // Where the runner records how the VM ended (runner.json result_path).
    std::filesystem::path result_path;
    // qemu engine only: an explicit kernel (--kernel / MICROVM_KERNEL); empty = find one.
    std::filesystem::path kernel;
    // A locked descriptor (the image's rootfs lock) the runner inherits and holds until it
    // exits, so `image prune` cannot remove the rootfs under a VM that outlives its caller;
    // -1 for none.
    int held_lock_fd = -1;
    // RunOptions::auto_remove: the runner deletes vm_dir as it ends (runner.json remove_dir).
    bool remove_vm_dir_on_exit = false;
};

// The backend-neutral part of the conversion from the caller's options; keeps read_only
// on every mount.
std::vector<FilesystemMount> to_filesystem_mounts(std::vector<VirtioFSMount> const& mounts);

} // namespace microvm::hypervisor
