// How the VM verbs (ps, inspect) show a VM: podman's words and JSON field names.
#pragma once

#include <ctime>
#include <nlohmann/json.hpp>
#include <string>

#include <microvm/microvm.hpp>

namespace microvm::cli {

// "created", "running", "exited (0)", and "exited (error)" for a VM whose runner left no
// exit status (it failed, or was killed).
std::string status_text(VmInfo const& info);

// What the VM boots: the image reference, else the --rootfs directory.
std::string source_text(VmInfo const& info);

// "127.0.0.1:8080->80/tcp, ..." as podman lists ports.
std::string ports_text(VmInfo const& info);

// "/host:/guest:ro, /other:/data" (":ro" marks a read-only share).
std::string mounts_text(VmInfo const& info);

// One VM as `ps --format json` and `inspect` print it: configuration, state (status, exit
// code or error, times, the runner's PID) and every mount with read_only and where it is
// enforced ("host+guest", "guest-only", "unknown").
nlohmann::json vm_json(VmInfo const& info);

} // namespace microvm::cli
