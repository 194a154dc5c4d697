// runner.json remove_dir: the runner deletes its VM's directory once the VM has ended, so that
// `microvm run -d --rm` leaves nothing behind although no caller is left to clean up.
#pragma once

#include <string>

#include "base/error.hpp"

namespace microvm::runner {

// Deletes `dir` and everything in it. Refuses (deleting nothing) when something is still
// mounted below it in this process's mount namespace: deleting through a mount would reach
// files that are not the VM's (its root overlay, should the engine have failed to detach it).
Result<void> remove_vm_dir(std::string const& dir);

} // namespace microvm::runner
