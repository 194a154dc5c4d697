// /etc/microvm.json: what the host tells microvm-init inside the guest (DESIGN.md §4.3).
//
// A superset of go-microvm's guest config ({tmp_size_mib, virtiofs_mounts[{tag, read_only}]}),
// so a go-microvm host's file is understood. A missing file means defaults; unknown keys are
// ignored; a file that does not parse is an error (the guest then stops the boot rather than
// mount anything read-write).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace microvm::contract {

// Path of the file relative to the guest's root.
inline constexpr char guest_config_relative_path[] = "etc/microvm.json";

struct GuestMount {
    std::string tag;
    // Where the share is mounted. A go-microvm entry has no guest_path; it is then
    // default_guest_path(tag).
    std::string guest_path;
    bool read_only = false; // omitted from the JSON when false
    // Mount without nosuid / nodev (the share's opt-ins, VirtioFSMount); omitted when false.
    bool allow_setuid = false;
    bool allow_devices = false;

    friend bool operator==(GuestMount const&, GuestMount const&) = default;
};

// The mount point of an entry that names no guest_path: "/" + tag. go-microvm mounts its one
// share, tag "workspace", on /workspace, so its files keep that meaning, and any other tag it
// lists (go-microvm lists only read-only shares) gets the same, predictable rule. The result
// is validated like any other guest path, so a tag such as "proc" is still refused.
std::string default_guest_path(std::string_view tag);

// The guest's network interface, configured statically by microvm-init (no DHCP client, so
// no wait for a lease and nothing the image has to provide).
struct GuestNetwork {
    // The address of the VM's one network interface, "10.0.2.15/24".
    std::string address;
    // The default route's router; empty: no default route.
    std::string gateway;
    // Name servers for /etc/resolv.conf (IPv4 or IPv6); empty: resolv.conf is left alone.
    std::vector<std::string> dns;

    friend bool operator==(GuestNetwork const&, GuestNetwork const&) = default;
};

struct GuestConfig {
    // Size of /tmp; 0 means the default of 256 MiB.
    std::uint32_t tmp_size_mib = 0;
    std::vector<GuestMount> virtiofs_mounts;
    // The workload. An empty argv means /bin/sh.
    std::vector<std::string> argv;
    std::vector<std::string> env; // "KEY=VALUE"
    std::string cwd = "/";        // serialize() treats "" as "/"
    // "uid[:gid]" (numeric); empty means root.
    std::string user;
    std::string hostname;
    // The network interface's settings. Absent (as in a go-microvm file, or a VM without a
    // network device): only loopback is configured.
    std::optional<GuestNetwork> network;
    // Owner of read-write shares after mounting (go-microvm's OverrideUID/GID); unset: untouched.
    std::optional<std::uint32_t> share_uid;
    std::optional<std::uint32_t> share_gid;
    // The workload's stdin stays open for a client that attaches over the exec channel
    // (`run -i`); omitted when false.
    bool interactive = false;
    // The workload runs on a pseudo-terminal that the exec channel attaches to (`run -t`): its
    // output goes to the terminal's reader, and from there to the stdout log; omitted when false.
    bool tty = false;

    friend bool operator==(GuestConfig const&, GuestConfig const&) = default;
};

// Parses and validates the JSON text of the file; `source` names it in errors. Missing keys
// keep the defaults above and unknown keys are ignored, but a key that is present must have
// the right type (null is not a default), so a typo in a value never turns a read-only share
// read-write. Fails on bad JSON, a wrong type, a share with a bad or duplicate tag or guest
// path, a relative cwd, a non-numeric user, an env entry without "=", a hostname longer than
// 64 bytes, or a network whose address is not IPv4 CIDR, whose gateway is not IPv4 or whose
// dns entries are not IP addresses, with a message naming the field:
//     "/etc/microvm.json: virtiofs_mounts[0].read_only must be true or false"
Result<GuestConfig> parse_guest_config(std::string_view json, std::string_view source);

// The JSON text of the file (an object, one key per line, ending in a newline). Keys whose
// value is the default are left out, read_only included when false, so a config that uses
// only go-microvm's features serializes to something go-microvm reads too. guest_path is
// always written. Strings are expected to be UTF-8; FIXME: invalid bytes are replaced with
// U+FFFD rather than reported, because this function cannot fail.
std::string serialize(GuestConfig const& config);

} // namespace microvm::contract
