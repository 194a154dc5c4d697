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

// Mounts the root share at `new_root`, reads and checks its /etc/microvm.json (including the
// workload it describes), then mounts the essential file systems and every share inside it.
// The config is read and checked before anything else is mounted, so a config that does not
// parse, or a workload it cannot describe, stops here with only the root share mounted.
// A share that cannot be mounted stops here too: the workload never runs without a share the
// user asked for.
Result<PreparedRoot> prepare_new_root(Syscalls& sys, std::string const& new_root);

} // namespace microvm::guest
