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
    std::string guest_path;
    bool read_only = false;
};

struct GuestConfig {
    // Size of /tmp; 0 means the default of 256 MiB.
    std::uint32_t tmp_size_mib = 0;
    std::vector<GuestMount> virtiofs_mounts;
    // The workload. An empty argv means /bin/sh.
    std::vector<std::string> argv;
    std::vector<std::string> env; // "KEY=VALUE"
    std::string cwd = "/";
    // "uid[:gid]" (numeric); empty means root.
    std::string user;
    std::string hostname;
    // Owner of read-write shares after mounting (go-microvm's OverrideUID/GID); unset: untouched.
    std::optional<std::uint32_t> share_uid;
    std::optional<std::uint32_t> share_gid;
};

// Parses the JSON text of the file; `source` names it in errors ("/etc/microvm.json: ...").
Result<GuestConfig> parse_guest_config(std::string_view json, std::string_view source);

// The JSON text of the file.
std::string serialize(GuestConfig const& config);

} // namespace microvm::contract
