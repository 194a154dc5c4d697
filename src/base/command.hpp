// Starting a program as a child process: an argv vector, an absolute path, an explicit list of
// file descriptors, never a shell.
#pragma once

#include <csignal>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/child.hpp"
#include "base/error.hpp"

namespace microvm::base {

// Makes the parent's `parent_fd` the child's `child_fd`.
struct FdMapping {
    int parent_fd = -1;
    int child_fd = -1;
};

// What a step run in the child between fork and exec reports: 0 or an errno value, and the name
// of the step that failed (a string literal, since the child must not allocate).
struct ChildStepStatus {
    int error = 0;
    char const* step = nullptr;

    static ChildStepStatus ok() { return {}; }
    bool failed() const { return error != 0; }
};

// Whether the child stays in the caller's session.
enum class Session {
    inherit,
    // setsid(): the child leads a new session and process group, so that it keeps no
    // controlling terminal and killing its group reaches everything it starts. Its Child kills
    // with KillScope::process_group.
    new_session,
};

// Runs in the forked child. Only async-signal-safe calls belong here (system calls on data that
// was prepared before the fork), since the child is a copy of a possibly multi-threaded parent.
using ChildStep = std::function<ChildStepStatus()>;

struct Command {
    // Absolute path of the executable; no PATH search is done.
    std::string path;
    // The full argument vector, argv[0] included.
    std::vector<std::string> argv;
    // The descriptors the child gets. Standard descriptors (0, 1, 2) that are not mapped are
    // connected to /dev/null; every other descriptor is closed at exec.
    std::vector<FdMapping> fds;
    // Sent to the child when the parent thread dies: a second line of defence so that no child
    // outlives the parent even when the parent is killed with SIGKILL. 0 for none, for a child
    // meant to outlive its parent (a detached runner).
    int death_signal = SIGKILL;
    // Runs in the child after the descriptors are in place and before exec.
    ChildStep before_exec;
    Session session = Session::inherit;
    // The child's entire environment, "KEY=VALUE"; nullopt inherits the parent's.
    std::optional<std::vector<std::string>> env = std::nullopt;
};

// Forks and executes `command`. Succeeds once the exec has succeeded; a failed step or exec is
// reported with its errno (the child is reaped then). The signal mask and dispositions are reset
// to their defaults.
Result<Child> spawn(Command const& command);

// Runs `step` in a forked child that exits right after, and reports its outcome. For asking
// "would this work" about namespace or mount operations without touching the caller.
Result<void> run_in_child(ChildStep const& step);

} // namespace microvm::base
