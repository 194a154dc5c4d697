// The microvm library: run an OCI image or a prepared root file system as a microVM.
//
//     microvm::RunOptions options;
//     options.rootfs = "/srv/rootfs";
//     options.mounts.push_back({.tag = "src", .host_path = "/home/me/src",
//                               .guest_path = "/src", .read_only = true});
//     options.command = {"make", "-C", "/src"};
//     auto vm = microvm::run("", options);
//     if (!vm) { std::cerr << vm.error().text() << "\n"; return 125; }
//     auto status = vm->wait();
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <microvm/error.hpp>
#include <microvm/exec.hpp>
#include <microvm/options.hpp>

namespace microvm {

// Where a VM is in its life (`microvm ps`).
enum class VmStatus {
    // Claimed and being prepared (image, root view); no runner yet. A VM whose preparing
    // process died stays here until `rm`.
    created,
    // Its microvm-runner is alive (checked by PID, start time and executable, never PID alone).
    running,
    // Its runner has ended, normally or not (killed, host crash): see VmInfo::exit_code / error.
    exited,
};
char const* to_string(VmStatus status);

// Where a share's read-only flag is enforced.
enum class Enforcement {
    // A read-write share: nothing to enforce.
    none,
    // By the host-side file server and by the guest's MS_RDONLY (the default, fail closed).
    host_and_guest,
    // By the guest's MS_RDONLY alone: the caller allowed it (ReadOnlyPolicy::allow_guest_only)
    // and the engine reported that it cannot enforce it on the host.
    guest_only,
    // A read-only share whose runner has not reported yet what enforces it (the VM is still
    // starting, or its runner died first). Never taken for host_and_guest.
    unknown,
};
// "", "host+guest", "guest-only", "unknown".
char const* to_string(Enforcement enforcement);

struct MountInfo {
    VirtioFSMount mount;
    Enforcement enforcement = Enforcement::none;
};

// What `microvm ps` and `inspect` show about a VM, read from its persisted state.
struct VmInfo {
    std::string name;
    // The image reference it was started from; empty when it boots a --rootfs directory.
    std::string image;
    // The immutable root it boots (the image's cached rootfs, or the --rootfs directory);
    // empty while a created VM's image is still being prepared.
    std::filesystem::path rootfs;
    std::vector<std::string> command;
    VmStatus status = VmStatus::created;
    // For an exited VM: the workload's exit status when the runner reported one...
    std::optional<int> exit_code;
    // ...else why there is none ("the runner died without reporting a result", a start failure).
    std::string error;
    std::chrono::system_clock::time_point created;
    std::optional<std::chrono::system_clock::time_point> started;
    std::optional<std::chrono::system_clock::time_point> finished;
    // The runner's PID while it is (or was) known; 0 before it started.
    int pid = 0;
    BackendKind backend = BackendKind::qemu;
    // qemu backend: the guest kernel it boots, when known; empty otherwise.
    std::string kernel;
    std::uint32_t cpus = 1;
    std::uint32_t memory_mib = 512;
    // The cap on what the guest can write into its root (RunOptions::disk_size); std::nullopt
    // when it has none. disk_used: what its layer takes on the host's disk now (not persisted).
    std::optional<std::uint64_t> disk_size;
    std::optional<std::uint64_t> disk_used;
    // The cap on each log (RunOptions::log_max_size; std::nullopt: none), and what the logs have
    // dropped so far, as the runner last reported (not persisted).
    std::optional<std::uint64_t> log_max_size;
    LogDrops logs_dropped;
    std::vector<PortForward> ports;
    std::vector<MountInfo> mounts;
    ReadOnlyPolicy read_only_policy = ReadOnlyPolicy::require_host;
    // RunOptions::auto_remove: the VM's directory goes when it exits.
    bool auto_remove = false;
    // Exec sessions (Vm::exec(), attach) connected now; 0 unless running. Not persisted: the
    // runner reports it.
    std::uint32_t exec_sessions = 0;
    // RunOptions::egress: the policy in force (std::nullopt: none), and what it has let through
    // and refused so far, as the runner last reported (not persisted).
    std::optional<EgressPolicy> egress;
    std::optional<EgressCounters> egress_counters;
    // RunOptions::interactive and tty: the workload can be attached to (Vm::attach()).
    bool interactive = false;
    bool tty = false;
    // The VM's directory (<data dir>/vms/<name>).
    std::filesystem::path data_dir;
};

// Which of a VM's logs Vm::logs() copies.
enum class LogStream {
    // The workload's stdout and stderr (stdout.log, stderr.log).
    workload,
    // The guest console: kernel and microvm-init messages (console.log), to the stdout fd.
    console,
};

enum class LogFollow { no, yes };

// A started VM. Move-only. Dropping a Vm does not stop the VM: it runs under its own
// microvm-runner process until it ends, is stopped, or the runner is killed.
class Vm {
public:
    class Impl;
    explicit Vm(std::unique_ptr<Impl> impl);
    Vm(Vm&&) noexcept;
    Vm& operator=(Vm&&) noexcept;
    ~Vm();

    std::string const& name() const;
    // The runner's PID, in decimal; "" for a VM that has no runner (still being created).
    std::string id() const;
    // The VM's own directory: runner.json, logs, the writable layer of its root.
    std::filesystem::path const& data_dir() const;
    // The root file system the VM boots from (its immutable source).
    std::filesystem::path const& rootfs_path() const;
    std::vector<PortForward> const& ports() const;

    // Files the workload's stdout and stderr are written to while the VM runs, and the
    // guest's console log (kernel and microvm-init messages).
    std::filesystem::path stdout_path() const;
    std::filesystem::path stderr_path() const;
    std::filesystem::path console_log_path() const;

    bool alive() const;
    // True once the VM's runner has reported its VMM up (every share set up with the
    // enforcement the runner then reports); false before, and when it failed first.
    bool vmm_started() const;
    // The VM's persisted state, brought up to date: a runner found dead (checked by its
    // identity, not its PID alone) is recorded as exited with what its result file says.
    Result<VmInfo> status() const;
    // Powers the guest off, killing it after `timeout`. Succeeds if the VM is not running.
    Result<void> stop(std::chrono::seconds timeout = std::chrono::seconds(30));
    // Waits for the VM to end. Returns the workload's exit status (0-255); an error when
    // microvm failed to run it (the error says what went wrong). Also works on a VM opened by
    // name (open()): once its runner is gone, the status comes from the result it recorded.
    Result<int> wait();
    // Copies the workload's output to the given descriptors as it is produced, until the VM
    // ends; then returns what wait() returns.
    Result<int> follow(int stdout_fd, int stderr_fd);
    // Copies what the VM has logged so far to the descriptors (console: all to stdout_fd); with
    // LogFollow::yes keeps copying new output until the VM ends. Missing logs (a VM that has not
    // started) are empty, not an error.
    Result<void> logs(int stdout_fd, int stderr_fd, LogStream stream = LogStream::workload,
                      LogFollow follow = LogFollow::no) const;
    // Runs a command in the running VM (see exec.hpp). Returns once it has started; fails
    // with a message when the VM is not running, when it cannot run the command as asked (a
    // user the VM does not have), or when its exec agent does not answer.
    Result<ExecProcess> exec(ExecOptions const& options) const;
    // Connects to the VM's workload, when it was started with RunOptions::interactive or tty:
    // stdin_stream feeds its stdin, and with a terminal stdout_stream gets the terminal's
    // output (the first attach also what was written before it) and rows/cols size it.
    // One client at a time. The ExecProcess's wait() returns 0 when the workload's terminal
    // closes or the VM ends, or when detach_keys were typed (detached() then says so); the
    // workload's exit status is Vm::wait()'s. Dropping it detaches, leaving the VM running.
    Result<ExecProcess> attach(AttachOptions const& options) const;
    // Stops the VM and deletes its directory: state, logs, writable layer (never the source
    // root file system, never the image cache).
    Result<void> remove();

private:
    std::unique_ptr<Impl> m_impl;
};

// Validates the options, prepares the VM's private view of its root file system, and
// starts it. `image` is an image reference; pass "" to boot options.rootfs instead.
// Returns once the VM's runner has started; errors carry the step that failed.
// The name is claimed atomically: of two run()s with one name, one fails with "a VM named
// ... already exists".
Result<Vm> run(std::string const& image, RunOptions const& options);

// Opens an existing VM by name in `data_dir` (empty: as RunOptions::data_dir). Fails with
// "no VM named ..." when there is none. The Vm can stop, wait for, read and remove it; a VM
// that is still being created has no runner (id() is "").
Result<Vm> open(std::string const& name, std::filesystem::path const& data_dir = {});

// Every VM in `data_dir` (empty: as RunOptions::data_dir), sorted by creation time, each
// brought up to date as Vm::status() does. VMs whose state cannot be read are skipped with a
// warning.
Result<std::vector<VmInfo>> list(std::filesystem::path const& data_dir = {});

} // namespace microvm
