// The workload: the image's command that microvm-init runs in the switched-into root, and the
// PID 1 duties around it (reaping every child, ending the stragglers).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "contract/guest_config.hpp"

namespace microvm::guest {

struct User {
    uid_t uid = 0;
    gid_t gid = 0;
};

// Parses "uid[:gid]" (numeric). An empty string is root; a missing gid is 0, as in Docker for a
// user without a passwd entry.
Result<User> parse_user(std::string_view text);

// The status the host reports for a child that ended with `wait_status` (from wait4):
// its exit code, or 128+N when signal N killed it.
int exit_status(int wait_status);

// The status for a command whose execve failed with `error`: 127 when it does not exist, 126
// when it exists but cannot be executed (podman's convention).
int exec_failure_status(int error);

// The search path used when the workload's environment has no PATH.
inline constexpr char default_path[] =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

struct WorkloadSpec {
    std::vector<std::string> argv; // never empty
    std::vector<std::string> env;  // "KEY=VALUE", PATH and HOME always present
    std::string cwd;
    User user;
};

// The workload as the config describes it: /bin/sh when argv is empty, PATH and HOME added to
// the environment when the config does not set them.
Result<WorkloadSpec> workload_from_config(contract::GuestConfig const& config);

// The files the commands to try for `argv0`: argv0 itself when it has a '/', else argv0 in each
// directory of `path_variable` ("PATH=..." entry value) in order; an empty entry means ".".
std::vector<std::string> exec_candidates(std::string const& argv0, std::string_view path_value);

struct WorkloadIo {
    int stdin_fd = -1;
    int stdout_fd = -1;
    int stderr_fd = -1;
    // stdin_fd is a terminal's slave side, made the new session's controlling terminal, so
    // that Ctrl-C, Ctrl-Z and a resize reach the process as signals.
    bool controlling_terminal = false;
};

// Starts the workload in a new session with `io` as its descriptors 0-2, default signal
// handling and an empty signal mask. A command that cannot be run makes the child exit with
// exec_failure_status() after writing why to its stderr; a failed setup step (user, cwd)
// makes it exit with 125. Returns the child's pid.
Result<pid_t> start_workload(WorkloadSpec const& spec, WorkloadIo io);

// Reaps children, any of them, until `workload` has ended; returns exit_status() of it.
// Orphans that the kernel re-parents to PID 1 are reaped on the way.
int wait_for_workload(pid_t workload);

// Which process owns the guest's processes: PID 1 of the qemu boot, or microvm-init run by
// libkrun's init as a child subreaper (kill(-1) spares PID 1 and the caller).
enum class ProcessOwner { pid1, libkrun_subreaper };

// Ends every other process: SIGTERM, up to `patience` to exit, then SIGKILL; reaps them all.
// With ProcessOwner::pid1 it does nothing unless this process is PID 1, because kill(-1)
// elsewhere would hit the caller's whole user; libkrun_subreaper is for a caller that checked
// it runs in a libkrun guest.
struct StopSummary {
    int reaped = 0;
    bool needed_sigkill = false;
};
StopSummary stop_remaining_processes(std::chrono::milliseconds patience,
                                     ProcessOwner owner = ProcessOwner::pid1);

} // namespace microvm::guest
