// What microvm remembers about one VM between processes (DESIGN.md §3, state/): the caller's
// configuration, where the VM is in its life, and who runs it. Persisted as
// <vm_dir>/state.json by state_file.hpp.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <microvm/microvm.hpp>

#include "base/error.hpp"
#include "host/process/identity.hpp"

namespace microvm::state {

struct VmRecord {
    // The public view. info.pid mirrors runner->pid; info.data_dir is not persisted (it is
    // where the file was found).
    VmInfo info;
    // The runner, as process::ProcessIdentity: the PID alone is never trusted, since the
    // kernel reuses it once the runner is gone.
    std::optional<process::ProcessIdentity> runner;
};

// The schema version written into every file; a file with a newer one is refused, not guessed.
inline constexpr int record_version = 1;

// JSON text of the record (snake_case keys, times as RFC 3339 UTC with seconds).
std::string serialize(VmRecord const& record);

// Parses what serialize() wrote. Fails, naming the field, on malformed JSON, a missing name,
// a wrong type or an unknown status; unknown keys are ignored.
Result<VmRecord> parse_record(std::string_view text);

// "2026-12-01T09:30:00Z" and back (whole seconds, UTC).
std::string format_time(std::chrono::system_clock::time_point time);
Result<std::chrono::system_clock::time_point> parse_time(std::string_view text);

} // namespace microvm::state
