// DESIGN.md §5 for every engine: what a guest writes into a read-write share is data, never
// privilege on the host. A read-write share without the opt-ins (VirtioFSMount::allow_setuid,
// allow_devices) is served only by a file server that refuses setuid/setgid files, file
// capabilities and device nodes; an engine that cannot refuse them does not start the VM. No
// guest-side layer can stand in: the host is who would run what the guest planted.
#pragma once

#include "contract/runner_config.hpp"
#include "runner/failure.hpp"

namespace microvm::runner {

// What an engine's file server can refuse host-side on a read-write share.
struct HostRefusals {
    bool setuid = false;  // setuid/setgid modes and file capabilities
    bool devices = false; // block and character device nodes
};

// Fails with RunnerExit::config_error, naming the share, the engine, what it cannot refuse and
// the opt-in, when `mount` is read-write and asks the engine to refuse what it cannot.
Step<void> require_privilege_refusals(contract::Engine engine, contract::RunnerMount const& mount,
                                      HostRefusals can_refuse);

} // namespace microvm::runner
