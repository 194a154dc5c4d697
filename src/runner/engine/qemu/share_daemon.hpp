// One virtiofsd per share: the root share and every user share.
#pragma once

#include <optional>
#include <string>

#include "base/child.hpp"
#include "base/error.hpp"
#include "base/fd.hpp"
#include "runner/engine/qemu/privilege_filter.hpp"
#include "runner/engine/qemu/privilege_refusals.hpp"
#include "runner/engine/qemu/virtiofsd_argv.hpp"

namespace microvm::runner::qemu {

// How a read-only share is kept read-only on the host side.
enum class HostEnforcement {
    none,           // a read-write share, or the policy allowed guest-only enforcement
    daemon_flag,    // the daemon refuses writes itself (Rust virtiofsd --readonly)
    read_only_view, // the daemon sees a read-only bind mount (see read_only_view.hpp)
};

struct SharePlan {
    std::string tag;
    std::string source;
    bool read_only = false;
    HostEnforcement enforcement = HostEnforcement::none;
    std::string cache = "auto";
    // The vhost-user socket qemu connects to.
    std::string socket_path;
    // For read_only_view: an empty directory where the daemon's view is mounted.
    std::string view_dir;
    // Where the daemon's output goes; empty: the runner's stderr. The C daemon reports every
    // disconnect as an error, so its output is kept aside and shown only when it failed.
    std::string log_path;
    // For a read-write user share: what its daemon refuses (privilege_filter.hpp). nullopt for
    // the root share, the VM's own layer, which keeps full semantics, and for read-only shares,
    // whose every write is refused.
    std::optional<PrivilegeRules> privileges;
};

struct Virtiofsd {
    std::string binary;
    VirtiofsdCapabilities capabilities;
    std::string log_level = "warn";
};

struct ShareDaemon {
    std::string tag;
    base::Child child;
    // The daemon's privilege filter (every read-write share has one) for PrivilegeRefusals to
    // answer; nullopt for the root share and read-only shares.
    std::optional<FilteredShare> privilege_filter;
};

// The last `lines` lines of a daemon's log, for an error message; empty when there is none.
std::string daemon_log_tail(std::string const& log_path, std::size_t lines = 5);

// Runs `<binary> --help` and parses what it prints.
Result<VirtiofsdCapabilities> detect_virtiofsd(std::string const& binary);

// Binds the share's socket, then starts the daemon on it; the socket accepts qemu's connection
// from the moment this returns.
Result<ShareDaemon> start_share_daemon(SharePlan const& plan, Virtiofsd const& daemon);

} // namespace microvm::runner::qemu
