// The first thing microvm-runner does: drop the process state its parent left behind.
#pragma once

#include "base/error.hpp"

namespace microvm::runner {

// Closes every descriptor from `first_closed` up (the parent's fds are not a contract, and the
// VMM must not hold them open for the VM's lifetime; only one handed over on purpose, below
// `first_closed`, survives), makes sure 0..2 are open (on /dev/null if the parent closed them,
// so no later open() lands on a standard stream), resets every signal to its default
// disposition and unblocks all signals (an inherited SIG_IGN or mask would survive into
// libkrun and the workload's supervisor), and scrubs the environment (scrub_environment()).
// Fails only if a system call does.
//
// Whatever the caller needs from the environment it reads before: contract::runner_held_fd_env,
// which decides `first_closed`, does not survive the scrub.
Result<void> sanitize_process(int first_closed = 3);

// Removes every environment variable but those the runner and its children (qemu, virtiofsd,
// libkrun) are meant to read, listed with their reasons in sanitize.cpp: PATH, TMPDIR,
// LD_LIBRARY_PATH, TZ and the fake libkrun's MICROVM_FAKE_KRUN_*. The embedding program's
// environment is not a contract, may hold secrets, and would otherwise reach the VMM (and the
// guest: libkrun's krun_set_exec passes on the process's environment when given none).
// RUST_LOG in particular goes: runner.json's log_level is the one knob.
Result<void> scrub_environment();

} // namespace microvm::runner
