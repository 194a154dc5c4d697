// Preparing the guest's root before the switch into it: the part of the boot that decides what
// is mounted, and how, from /etc/microvm.json.
#pragma once

#include <string>

#include "base/error.hpp"
#include "contract/guest_config.hpp"
#include "guest/syscalls.hpp"
#include "guest/workload.hpp"

namespace microvm::guest {

struct PreparedRoot {
    contract::GuestConfig config;
    WorkloadSpec workload;
};

// Reads and checks /etc/microvm.json of the root at `root` ("" for the current root: the
// libkrun boot, whose root libkrun mounted), including the workload it describes, then mounts
// the essential file systems and every share inside it. The config is read and checked before
// anything is mounted, so a config that does not parse, or a workload it cannot describe,
// stops here with nothing mounted. A share that cannot be mounted stops here too: the workload
// never runs without a share the user asked for. Both boots go through here, so a share is
// mounted the same way (MS_RDONLY for a read-only one) whichever engine runs the VM.
Result<PreparedRoot> prepare_root(Syscalls& sys, std::string const& root);

// The qemu boot: mounts the root share at `new_root`, then prepare_root(new_root).
Result<PreparedRoot> prepare_new_root(Syscalls& sys, std::string const& new_root);

} // namespace microvm::guest
