// What a caller asks for when it runs a microVM: shares, ports, resources and policies.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <microvm/egress.hpp>
#include <microvm/error.hpp>
#include <microvm/hooks.hpp>
#include <microvm/preflight.hpp>

namespace microvm {

// A host directory shared into the guest over virtio-fs.
struct VirtioFSMount {
    // The virtio-fs tag: 1..36 bytes of [A-Za-z0-9._-].
    std::string tag;
    // An existing host directory.
    std::filesystem::path host_path;
    // An absolute guest path, not "/" and not under /proc, /sys or /dev.
    std::string guest_path;
    // Enforced twice: by the host-side file server and by the guest's MS_RDONLY.
    bool read_only = false;
    // What the guest writes into a share is data, never privilege on the host: by default the
    // host-side file server refuses (EPERM in the guest) setuid bits, setgid bits, file
    // capabilities and other security.* / trusted.* extended attributes (`allow_setuid`), and
    // block and character device nodes (`allow_devices`); the guest also mounts the share
    // nosuid, nodev. Set them only for a share that must hold such files, e.g. a root file
    // system being built for another VM (`-v DIR:/rw:rw,suid,dev`). The libkrun engine cannot
    // refuse them host-side, so there a read-write share needs both.
    bool allow_setuid = false;
    bool allow_devices = false;
};

// A host port forwarded to a guest port.
struct PortForward {
    std::uint16_t host = 0;
    std::uint16_t guest = 0;
    Protocol protocol = Protocol::tcp;
    // The host address to bind; loopback unless the caller names another.
    std::string host_address = "127.0.0.1";
};

// The guest's network (`--network`).
enum class NetworkMode {
    // A NIC behind a userspace network stack in the VMM (QEMU's slirp): outbound access through
    // the host's sockets, and the forwarded ports. The default.
    user,
    // No network device at all: the guest has loopback only, and no port can be forwarded.
    none,
};

// What happens when a read-only share cannot be enforced by the host-side file server.
enum class ReadOnlyPolicy {
    // Refuse to start the VM (the default: fail closed).
    require_host,
    // Start anyway with a warning, relying on the guest's MS_RDONLY alone.
    allow_guest_only,
};

enum class BackendKind { qemu, libkrun };

// When run() fetches the image from its registry (`--pull`).
enum class PullPolicy {
    // Only when the image is not in the local store, so a tag pulled before runs offline.
    missing,
    // Every time, refreshing the tag.
    always,
    // Never: an image that is not in the store is an error.
    never,
};

// RunOptions::log_max_size when none is given, and the smallest one accepted.
inline constexpr std::uint64_t default_log_max_size = 64ull << 20;
inline constexpr std::uint64_t min_log_max_size = 8ull << 10;

// How many bytes of each of a VM's outputs its logs no longer hold: a capped log
// (RunOptions::log_max_size) keeps the newest and drops the oldest.
struct LogDrops {
    std::uint64_t stdout_bytes = 0;
    std::uint64_t stderr_bytes = 0;
    std::uint64_t console_bytes = 0;

    bool any() const { return stdout_bytes != 0 || stderr_bytes != 0 || console_bytes != 0; }
    bool operator==(LogDrops const&) const = default;
};

// RunOptions::disk_size when none is given, and the smallest one accepted.
inline constexpr std::uint64_t default_disk_size = 10ull << 30;
inline constexpr std::uint64_t min_disk_size = 32ull << 20;

struct RunOptions {
    std::string name = "microvm";
    // A prepared root file system to boot instead of an image (`--rootfs DIR`). It is never
    // written: the VM gets a private writable view of it.
    std::filesystem::path rootfs;
    // qemu backend: the guest kernel (`--kernel`); empty means $MICROVM_KERNEL, else the newest
    // installed distribution kernel.
    std::filesystem::path kernel;
    std::uint32_t cpus = 1;
    std::uint32_t memory_mib = 512;
    // Size of the guest's /tmp tmpfs; 0 means the guest default (256 MiB).
    std::uint32_t tmp_size_mib = 0;
    // `--disk-size`: the most the guest can write into its root, in bytes (its writable layer
    // is a file system of this size; the guest gets ENOSPC when it is full, and the host's disk
    // holds at most this much for it). std::nullopt: default_disk_size where the host can make
    // such a layer (it needs the overlay view and a loop device), else no cap with a warning;
    // 0: no cap, by choice. An explicit size the host cannot enforce fails the run.
    std::optional<std::uint64_t> disk_size;
    // `--log-max-size`: the most each of the VM's logs (stdout, stderr, console) keeps on the
    // host, in bytes: the newest output, in two files of half the size each (<log> and
    // <log>.1), rotated as it grows; Vm::logs() reads across them. std::nullopt:
    // default_log_max_size; 0: no cap, by choice. A foreground run still gets every byte.
    std::optional<std::uint64_t> log_max_size;
    std::vector<VirtioFSMount> mounts;
    std::vector<PortForward> ports;
    NetworkMode network = NetworkMode::user;
    // What the guest may connect to (`--egress-allow`, `--egress-policy`, `--no-outbound`):
    // std::nullopt reaches whatever the host's user can; a policy denies everything it does not
    // allow, enforced by the VM's runner outside the guest. Published ports keep working.
    std::optional<EgressPolicy> egress;
    // Replace the image's command (Entrypoint + Cmd) when not empty.
    std::vector<std::string> command;
    // Extra environment, "KEY=VALUE", applied after the image's.
    std::vector<std::string> env;
    // Replace the image's working directory when set.
    std::optional<std::string> workdir;
    // `-i`: the workload's stdin stays open for Vm::attach() (else it is /dev/null).
    bool interactive = false;
    // `-t`: the workload runs on a pseudo-terminal in the guest (a shell gets job control);
    // Vm::attach() connects to it, and its output is also logged to the stdout log.
    bool tty = false;
    BackendKind backend = BackendKind::qemu;
    // Images: when to go to the registry, and the platform ("os/arch[/variant]") to pick from
    // a multi-platform image; empty means this machine's.
    PullPolicy pull = PullPolicy::missing;
    std::string platform;
    ReadOnlyPolicy read_only_policy = ReadOnlyPolicy::require_host;
    // Empty: $MICROVM_DATA_DIR, else $XDG_DATA_HOME/microvm, else ~/.local/share/microvm.
    std::filesystem::path data_dir;
    // `--rm`: the VM's directory (state, logs, writable layer) is deleted when it ends, by its
    // runner, so also when no caller is left to do it (`run -d --rm`). Vm::wait() then reports
    // the runner's exit status (the workload's, or a microvm-runner failure code).
    bool auto_remove = false;
    // 0 off .. 5 trace, as libkrun counts.
    std::uint32_t log_level = 0;
    // Caller code run on the VM's writable root before boot, and once it has started
    // (microvm/hooks.hpp), in order.
    std::vector<RootfsHook> rootfs_hooks;
    std::vector<PostBootHook> post_boot_hooks;
    // Checks of the caller's own, run before boot after the built-in ones (microvm/preflight.hpp).
    std::vector<PreflightCheck> preflight_checks;
};

// Checks every field and returns the first problem, naming the field:
//   "mounts[1].tag: duplicate tag \"data\"", "cpus must be > 0", ...
// Host paths are checked against the file system (they must be existing directories).
Result<void> validate(RunOptions const& options);

// Checks one share on its own (the checks of validate() that need no other mount).
Result<void> validate(VirtioFSMount const& mount);

// Short names used on the command line and in config files.
char const* to_string(Protocol protocol);
char const* to_string(ReadOnlyPolicy policy);
char const* to_string(BackendKind backend);
Result<Protocol> parse_protocol(std::string_view text);
Result<ReadOnlyPolicy> parse_read_only_policy(std::string_view text);
Result<BackendKind> parse_backend(std::string_view text);
char const* to_string(PullPolicy policy);
Result<PullPolicy> parse_pull_policy(std::string_view text);
char const* to_string(NetworkMode mode);
Result<NetworkMode> parse_network_mode(std::string_view text);

} // namespace microvm
