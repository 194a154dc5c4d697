// The first thing microvm-runner does: drop the process state its parent left behind.
#pragma once

#include "base/error.hpp"

namespace microvm::runner {

// Closes every descriptor from `first_closed` up (the parent's fds are not a contract, and the
// VMM must not hold them open for the VM's lifetime; only one handed over on purpose, below
// `first_closed`, survives), makes sure 0..2 are open (on /dev/null if the parent closed them,
// so no later open() lands on a standard stream), resets every signal to its default
// disposition and unblocks all signals (an inherited SIG_IGN or mask would survive into
// libkrun and the workload's supervisor). Fails only if a system call does.
Result<void> sanitize_process(int first_closed = 3);

} // namespace microvm::runner
