// The file systems every guest root gets (/proc, /sys, /dev, ...) and the switch into the root.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "guest/syscalls.hpp"

namespace microvm::guest {

struct MountSpec {
    std::string source;
    std::string target; // absolute, relative to the root being prepared
    std::string fstype;
    unsigned long flags = 0;
    std::string data;
};

// /tmp's size when the guest config does not give one (go-microvm's default).
inline constexpr std::uint32_t default_tmp_size_mib = 256;

// The essential mounts of a guest root, in mount order (parents before children).
// `tmp_size_mib` 0 means default_tmp_size_mib.
std::vector<MountSpec> essential_mounts(std::uint32_t tmp_size_mib);

// What init itself needs in the initramfs: /dev (the console, the ports' nodes), /proc, /sys.
std::vector<MountSpec> initramfs_mounts();

// Mounts `plan` under `root` ("" for the current root, or e.g. "/newroot"): creates each mount
// point (0755, never through a symlink) and mounts it; EBUSY (already mounted) is tolerated.
Result<void> mount_all(Syscalls& sys, std::string const& root, std::vector<MountSpec> const& plan);

// mount_all(), then the /dev links programs expect (/dev/ptmx -> pts/ptmx, /dev/fd, /dev/std*).
Result<void> mount_essentials(Syscalls& sys, std::string const& root,
                              std::vector<MountSpec> const& plan);

// How often and how patiently a mount is tried. A virtio-fs device can still be settling when
// the first attempt is made, so a failure is retried after a delay (go-microvm: 5 x 500 ms).
struct RetryPolicy {
    int attempts = 5;
    std::chrono::milliseconds delay{500};
};

// Mounts `spec` on the existing directory `spec.target`, trying up to `policy.attempts` times
// with `policy.delay` after each failure. Returns the last mount error; the caller adds what
// was being mounted.
Result<void> mount_with_retries(Syscalls& sys, MountSpec const& spec, RetryPolicy policy);

// Makes `new_root` the root of this process, as switch_root(8) does: chdir into it, move its
// mount onto "/", chroot("."), chdir("/"). The initramfs stays underneath, unreachable.
Result<void> switch_root(Syscalls& sys, std::string const& new_root);

} // namespace microvm::guest
