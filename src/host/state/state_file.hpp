// The VM's state file, <vm_dir>/state.json: one per VM, private (0600), replaced atomically
// (a temporary file, fsync, rename, fsync of the directory) so that a reader sees the old
// record or the new one, never a mix, and a crash never leaves half a file. Writers serialize
// on an flock of <vm_dir>/state.lock (the state file itself cannot carry the lock: a rename
// replaces its inode), so read-modify-write updates from several processes lose nothing.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>

#include "base/error.hpp"
#include "host/state/vm_record.hpp"

namespace microvm::state {

// Writes `record` as the VM's state under the exclusive lock. `vm_dir` must exist.
Result<void> write_state(std::filesystem::path const& vm_dir, VmRecord const& record);

// Reads the VM's state; std::nullopt when there is no state file yet (a VM directory just
// claimed, before its first write). No lock is needed to read: the file is only ever replaced
// whole. Fails on an unreadable or malformed file. info.data_dir is set to `vm_dir`.
Result<std::optional<VmRecord>> read_state(std::filesystem::path const& vm_dir);

// Read-modify-write under the exclusive lock: `change` gets the current record (std::nullopt
// when there is none) and returns the one to write, or std::nullopt to leave the file alone.
// Returns what the file holds afterwards.
using StateChange = std::function<std::optional<VmRecord>(std::optional<VmRecord> current)>;
Result<std::optional<VmRecord>> update_state(std::filesystem::path const& vm_dir,
                                             StateChange const& change);

} // namespace microvm::state
