// The VM's writable layer on a disk of fixed size (runner.json root_disk_image): an ext4 image
// the host formatted, attached to a loop device and mounted over the directory that holds the
// overlay's upper and work directories, in the runner's private mount namespace. What the guest
// writes into its root then lands in the image, which cannot grow past the size it was made
// with: the guest gets ENOSPC, the host's disk does not fill.
#pragma once

#include <string>

#include "base/error.hpp"
#include "contract/runner_config.hpp"

namespace microvm::runner {

class LayerDiskMount {
public:
    // Attaches `image` (opened without following a symlink) to a free loop device that frees
    // itself once unmounted, and mounts it on `mountpoint` (an existing directory) nosuid and
    // nodev: nothing the guest writes carries privilege on the host. Needs CAP_SYS_ADMIN and a
    // private mount namespace (enter_private_mount_namespace()).
    static Result<LayerDiskMount> mount(std::string const& image, std::string mountpoint);

    LayerDiskMount(LayerDiskMount&& other) noexcept;
    LayerDiskMount& operator=(LayerDiskMount&&) = delete;
    LayerDiskMount(LayerDiskMount const&) = delete;
    LayerDiskMount& operator=(LayerDiskMount const&) = delete;
    // Detaches the mount (lazily, so a mount above it that could not be removed does not keep
    // it); the loop device then frees itself.
    ~LayerDiskMount();

    // Leaves the disk mounted until the mount namespace ends with the runner (libkrun, whose
    // krun_start_enter never returns to unmount anything).
    void keep_until_exit() { m_mountpoint.clear(); }

private:
    explicit LayerDiskMount(std::string mountpoint) : m_mountpoint(std::move(mountpoint)) {}

    std::string m_mountpoint;
};

// Where the disk goes: the directory that holds root_upper_dir and root_work_dir (validate()
// holds them to one parent).
std::string layer_disk_mountpoint(contract::RunnerConfig const& config);

} // namespace microvm::runner
