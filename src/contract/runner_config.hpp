// runner.json: what the host tells microvm-runner (DESIGN.md §4.2).
//
// Keys are snake_case; unknown keys are ignored so that an older runner accepts a newer
// host's file. parse_runner_config() validates, so a RunnerConfig that came from it is valid.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <microvm/options.hpp>

#include "base/error.hpp"

namespace microvm::contract {

enum class Engine { libkrun, qemu };

struct RunnerMount {
    std::string tag;
    std::string path;       // host directory
    bool read_only = false; // omitted from the JSON when false
    // Opt-ins to files that carry privilege on the host (VirtioFSMount::allow_setuid,
    // allow_devices); omitted when false. Without them the engine refuses such files host-side,
    // or refuses to start when it cannot.
    bool allow_setuid = false;
    bool allow_devices = false;
};

struct RunnerPortForward {
    std::uint16_t host = 0;
    std::uint16_t guest = 0;
    Protocol protocol = Protocol::tcp;
    std::string host_address = "127.0.0.1";
};

struct LibkrunSettings {
    // Passed to dlopen(); a bare name is searched the usual way.
    std::string library = "libkrun.so.1";
    // microvm-init's path inside the root (contract::libkrun_init_path), which the engine hands to
    // libkrun's init with krun_set_exec. Empty (a go-microvm runner.json): libkrun's init runs
    // the root's /.krun_config.json and nothing in the guest mounts the shares, so a read-only
    // share needs host-side enforcement whatever read_only_policy says.
    std::string init;
};

struct QemuSettings {
    std::string binary = "qemu-system-x86_64";
    std::string kernel; // bzImage; required for the qemu engine
    std::string initrd; // the initramfs (base + per-VM archives concatenated); required
    std::string virtiofsd = "/usr/lib/qemu/virtiofsd";
    std::string accel = "auto"; // "auto" (KVM when /dev/kvm is usable), "kvm" or "tcg"
    std::string machine = "q35";
    std::string kernel_cmdline_extra;
};

// The longest runtime_dir an engine can use: its unix sockets there (the longest name is
// "/vfs-999.sock") must fit in a socket address's 108 bytes, NUL included.
inline constexpr std::size_t max_runtime_dir_length = 107 - (sizeof("/vfs-999.sock") - 1);

// A descriptor the host hands to the runner on purpose (its image's rootfs lock, held for the
// VM's lifetime): it arrives as descriptor runner_held_fd, and the environment variable
// runner_held_fd_env="3" tells the runner's sanitizer to keep it open.
inline constexpr int runner_held_fd = 3;
inline constexpr char runner_held_fd_env[] = "MICROVM_RUNNER_HELD_FD";

struct RunnerConfig {
    // The VM's root. With root_upper_dir set, root_path is the immutable lower layer and the
    // engine exports an overlay (lower=root_path, upper=root_upper_dir, work=root_work_dir)
    // mounted in the runner's private mount namespace, so it vanishes with the runner.
    std::string root_path;
    std::string root_upper_dir;
    std::string root_work_dir;
    // An ext4 image that holds the upper and work directories (the VM's writable layer at a
    // fixed size): the runner mounts it, in the same private namespace, on their common parent
    // directory before the overlay. Empty: the layer is the host directories themselves.
    std::string root_disk_image;
    std::uint32_t num_vcpus = 0;
    std::uint32_t ram_mib = 0;
    std::vector<RunnerMount> virtiofs_mounts;
    std::vector<RunnerPortForward> port_forwards;
    // "user": a NIC behind the engine's userspace network (qemu: slirp; libkrun: TSI), the
    // default, so a go-microvm runner.json keeps its network. "none": no network device at
    // all, and no port_forwards.
    NetworkMode network = NetworkMode::user;
    // An egress policy (contract/egress_json.hpp): the guest reaches only what it allows, while
    // the forwards keep working; an engine that cannot enforce it refuses to start. Absent: the
    // guest reaches whatever the host's user can.
    std::optional<EgressPolicy> egress;
    std::string net_sock_path;
    std::string console_log_path;
    // Where the workload's stdout and stderr go (files the host follows); empty: the runner's own.
    std::string stdout_path;
    std::string stderr_path;
    // The most each of those logs keeps (the console log too), in bytes: the runner writes them
    // itself, rotating <log> to <log>.1 at half the size, and reports what it dropped. 0: the
    // VMM writes the files directly, without a cap.
    std::uint64_t log_max_size = 0;
    // Where the runner writes its report (contract/runner_report.hpp): what protects each
    // share once the VMM is up, and how the VM ended. Empty: not written.
    std::string report_path;
    // An existing, private directory for the runner's sockets and status file, at most
    // max_runtime_dir_length bytes long, which the engine empties when it ends. The host gives
    // <vm_dir>/run so that a runner killed with SIGKILL leaves nothing behind outside the VM's
    // directory. Empty: the engine makes a temporary one.
    std::string runtime_dir;
    // A directory the runner deletes, with everything in it, once the VM has ended and its
    // result is written: the VM's own directory for `run --rm` (so a detached VM is removed
    // although no caller is left). Empty: nothing is deleted.
    std::string remove_dir;
    std::uint32_t log_level = 0;
    Engine engine = Engine::libkrun;
    ReadOnlyPolicy read_only_policy = ReadOnlyPolicy::require_host;
    LibkrunSettings libkrun;
    QemuSettings qemu;
};

// Parses and validates. Errors name the field, e.g. "num_vcpus must be > 0".
Result<RunnerConfig> parse_runner_config(std::string_view json);

// Reads PATH ("-" = standard input), then parse_runner_config(). Errors name the file.
Result<RunnerConfig> load_runner_config(std::string const& path);

// The checks of DESIGN.md §4.2: required fields, positive sizes, the root, every share and the
// runtime directory (when set) an existing directory short enough for the engine's sockets,
// tags non-empty, valid and unique.
Result<void> validate(RunnerConfig const& config);

// The JSON text; read_only and empty optional fields are omitted.
std::string serialize(RunnerConfig const& config);

char const* to_string(Engine engine);
Result<Engine> parse_engine(std::string_view text);

} // namespace microvm::contract
