// The VM's root file system as libkrun exports it (krun_set_root, tag "/dev/root").
#pragma once

#include "contract/runner_config.hpp"
#include "runner/engine/libkrun/failure.hpp"

namespace microvm::runner::libkrun {

// With root_upper_dir set, root_path is an immutable lower layer (an image in the cache) that
// the VM must never write: the runner enters a private mount namespace and mounts
// overlay(root_path, root_upper_dir, root_work_dir) over root_path itself, so krun_set_root
// on root_path exports the VM's writable view and the guest's writes land in the upper
// directory. Mounting over root_path leaves no mountpoint directory behind when libkrun ends
// the process. Without root_upper_dir nothing is done: root_path is exported as it is.
// Needs CAP_SYS_ADMIN; a failure is RunnerExit::start_failed.
Step<void> prepare_root(contract::RunnerConfig const& config);

} // namespace microvm::runner::libkrun
