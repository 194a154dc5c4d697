// The virtiofsd command line for either implementation: QEMU 7.2's C daemon (Debian 12's
// /usr/lib/qemu/virtiofsd) or the Rust one, which replaced it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace microvm::runner::qemu {

enum class VirtiofsdFlavor { c, rust };

struct VirtiofsdCapabilities {
    VirtiofsdFlavor flavor = VirtiofsdFlavor::c;
    // The daemon refuses writes itself (Rust virtiofsd >= 1.13, `--readonly`).
    bool read_only = false;
};

// Tells the implementations apart by their --help text: only the Rust daemon has
// `--shared-dir`, and only from 1.13 on `--readonly`.
VirtiofsdCapabilities parse_virtiofsd_help(std::string_view help);

struct VirtiofsdLaunch {
    std::string binary; // absolute
    VirtiofsdCapabilities capabilities;
    std::string source;
    // The listening vhost-user socket, already bound, as the daemon's descriptor number: the
    // socket exists before the daemon does, so qemu never races the daemon's startup.
    int listen_fd = 3;
    // "auto", or "always" for a tree nothing else writes while the VM runs.
    std::string cache = "auto";
    // Ask the daemon itself to refuse writes (needs capabilities.read_only).
    bool read_only = false;
    // "err", "warn", "info" or "debug".
    std::string log_level = "warn";
    // Capabilities the daemon drops from the set it keeps for itself (virtiofsd's modcaps,
    // lower-case names without "cap_": "mknod", "setfcap", "fsetid"), so that the kernel refuses
    // what they would allow whatever the daemon is asked (privilege_filter.hpp).
    std::vector<std::string> drop_capabilities;
};

// Backslash-escapes ',' and '\', as the C daemon's -o parser requires inside a value.
std::string escape_fuse_option(std::string_view value);

// The argv, argv[0] included.
std::vector<std::string> virtiofsd_argv(VirtiofsdLaunch const& launch);

} // namespace microvm::runner::qemu
