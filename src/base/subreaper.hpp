// Orphaned descendants: a daemon that forks (QEMU's C virtiofsd runs its sandbox in a child)
// leaves that child behind when it is stopped. As a child subreaper the process inherits such
// orphans instead of init, so it can make sure they are gone and reaped before it exits.
#pragma once

#include <chrono>

#include "base/error.hpp"

namespace microvm::base {

// prctl(PR_SET_CHILD_SUBREAPER): orphaned descendants are reparented to this process.
Result<void> become_subreaper();

// Reaps every remaining child, giving them `grace` to exit on their own before they are sent
// SIGKILL. Call only once every Child this process owns has been reaped: it waits for any pid.
void reap_orphans(std::chrono::milliseconds grace);

} // namespace microvm::base
