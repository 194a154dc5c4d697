// Host-side enforcement of a read-only share for a daemon that cannot refuse writes itself
// (QEMU 7.2's C virtiofsd): the daemon runs in a mount namespace of its own in which its source
// is a read-only bind mount. A guest that remounts the share read-write still cannot write,
// because the daemon's own writes fail with EROFS.
#pragma once

#include <string>

#include "base/command.hpp"
#include "base/error.hpp"

namespace microvm::runner::qemu {

struct ReadOnlyView {
    std::string source; // the share's host directory
    std::string target; // an empty directory; the view appears here, in the daemon's namespace
};

// The step to run in the daemon's child process before exec: private mount namespace, recursive
// bind of source onto target, everything under target made read-only, nosuid, nodev. `view`
// must outlive the returned step.
base::ChildStep read_only_view_step(ReadOnlyView const& view);

// Runs the same step in a throwaway child: whether host-side enforcement can be set up here
// (it cannot without CAP_SYS_ADMIN, for instance).
Result<void> probe_read_only_view(ReadOnlyView const& view);

} // namespace microvm::runner::qemu
