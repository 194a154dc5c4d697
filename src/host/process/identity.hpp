// Who a PID is: the runner we started, or some other process that inherited its number.
//
// A PID alone is not an identity: once the runner has exited and been reaped, the kernel may
// hand the number to any new process. The start time (in clock ticks since boot) never
// changes for a process and is different for the next holder of the number, and the
// executable tells a runner from anything else, so the two together identify the runner
// across processes (e.g. `microvm stop` reading a persisted state).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>

#include "base/error.hpp"

namespace microvm::process {

// Small enough to persist in the VM's state file.
struct ProcessIdentity {
    pid_t pid = 0;
    // Field 22 of /proc/PID/stat: when the process started, in clock ticks since boot.
    std::uint64_t start_time = 0;
    // The absolute, symlink-free path of the executable (what /proc/PID/exe shows).
    std::filesystem::path exe;

    friend bool operator==(ProcessIdentity const&, ProcessIdentity const&) = default;
};

// What /proc/PID/stat says about a process.
struct ProcessStat {
    char state = '?'; // field 3: R, S, D, Z (zombie), ...
    std::uint64_t start_time = 0;
};

// Parses the text of /proc/PID/stat. The command name (field 2) may contain spaces and
// parentheses, so fields are counted after its last ')'. Fails on text it cannot read.
Result<ProcessStat> parse_stat(std::string_view text);

// Reads /proc/PID/stat. Fails with ENOENT (errno_value()) when there is no such process.
Result<ProcessStat> read_stat(pid_t pid);

// readlink /proc/PID/exe, without the " (deleted)" the kernel appends when the file was
// replaced. Fails for a zombie (which has no executable any more) and for a process of
// another user (EACCES).
Result<std::filesystem::path> read_exe(pid_t pid);

// The identity of `pid`, which is expected to be running `exe` (absolute and symlink-free, as
// the kernel reports it). Reads only the start time, so it also works right after spawn and
// for a process that has already exited but was not yet reaped.
Result<ProcessIdentity> capture_identity(pid_t pid, std::filesystem::path const& exe);

enum class Presence {
    // The process with this identity is running.
    running,
    // It has exited but its parent has not reaped it yet (a zombie); the PID is still its own.
    exited,
    // No process has this PID.
    gone,
    // Another process has this PID now (different start time or executable), or it cannot
    // be told apart from one (its executable is unreadable). Never signal it.
    replaced,
};

// Compares the live process behind identity.pid with `identity`: start time first, then
// /proc/PID/exe. Never fails: what cannot be read counts as not ours (`replaced`), and a PID
// below 1 is `gone`.
Presence check_identity(ProcessIdentity const& identity);

} // namespace microvm::process
