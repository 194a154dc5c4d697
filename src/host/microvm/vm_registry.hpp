// The VMs of a data directory as their state files describe them, kept true to what is
// running: the step between the persisted state (host/state/) and what run(), open(), list()
// and a Vm report.
#pragma once

#include <filesystem>
#include <optional>

#include <microvm/microvm.hpp>

#include "base/error.hpp"
#include "host/state/vm_record.hpp"

namespace microvm {

// The state run() writes as soon as it has claimed the name: the caller's configuration,
// status created, created now.
state::VmRecord created_record(std::string const& image, RunOptions const& options);

// Records that the VM's runner has started: status running, the kernel it boots (when the
// backend can tell; else the requested one stays), its root, its identity and the cap on its
// writable layer (std::nullopt: none).
Result<void> record_started(std::filesystem::path const& vm_dir, std::string const& kernel,
                            std::filesystem::path const& rootfs,
                            process::ProcessIdentity const& runner,
                            std::optional<std::uint64_t> disk_size = std::nullopt);

// Reads the VM's state and brings it up to date under the state lock: a running VM whose
// runner is gone (its identity no longer matches a live process: exited, killed, or the PID
// reused) becomes exited with what its result file says, and where the read-only policy let
// a share go without host-side enforcement, the runner's log says which one it is.
// std::nullopt when the VM has no state file yet (it is being claimed).
Result<std::optional<state::VmRecord>> refresh_state(std::filesystem::path const& vm_dir);

// Records how the VM ended (the outcome of Vm::wait()) unless it is recorded already. Does
// nothing when the VM's directory is gone (removed by its runner: RunOptions::auto_remove).
Result<void> record_outcome(std::filesystem::path const& vm_dir, Result<int> const& outcome);

// A Vm for an existing VM directory, as open() returns it.
Result<Vm> open_vm_dir(std::filesystem::path const& vm_dir);

} // namespace microvm
