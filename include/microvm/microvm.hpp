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
#include <string>
#include <vector>

#include <microvm/error.hpp>
#include <microvm/options.hpp>

namespace microvm {

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
    // The runner's PID, in decimal.
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
    // Powers the guest off, killing it after `timeout`. Succeeds if the VM is not running.
    Result<void> stop(std::chrono::seconds timeout = std::chrono::seconds(30));
    // Waits for the VM to end. Returns the workload's exit status (0-255); an error when
    // microvm failed to run it (the error says what went wrong).
    Result<int> wait();
    // Copies the workload's output to the given descriptors as it is produced, until the VM
    // ends; then returns what wait() returns.
    Result<int> follow(int stdout_fd, int stderr_fd);
    // Stops the VM and deletes its directory (never the source root file system).
    Result<void> remove();

private:
    std::unique_ptr<Impl> m_impl;
};

// Validates the options, prepares the VM's private view of its root file system, and
// starts it. `image` is an image reference; pass "" to boot options.rootfs instead.
// Returns once the VM's runner has started; errors carry the step that failed.
Result<Vm> run(std::string const& image, RunOptions const& options);

} // namespace microvm
