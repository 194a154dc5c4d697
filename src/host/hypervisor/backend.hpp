// A backend starts VMs; a VmHandle controls one that was started.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "base/error.hpp"
#include "host/hypervisor/vm_config.hpp"

namespace microvm::hypervisor {

class VmHandle {
public:
    virtual ~VmHandle() = default;

    // Asks the VM to power off, and kills it once `timeout` has passed. Idempotent.
    virtual Result<void> stop(std::chrono::seconds timeout) = 0;
    // True while the runner process that owns the VM is alive (and is the one we started).
    virtual bool alive() const = 0;
    // A stable identifier of the running VM (the runner's PID, in decimal).
    virtual std::string id() const = 0;
    // Blocks until the runner exits and returns its exit status (the workload's status,
    // or one of contract::RunnerExit).
    virtual Result<int> wait() = 0;
};

class Backend {
public:
    virtual ~Backend() = default;

    virtual std::string name() const = 0;
    // Gives the backend a chance to adapt the root before boot (e.g. files its guest side
    // expects). Returns the view to boot; it must stay within `view`'s directories.
    virtual Result<RootfsView> prepare_rootfs(RootfsView const& view) = 0;
    // Starts the VM described by `config`; the VM runs detached from the caller.
    virtual Result<std::unique_ptr<VmHandle>> start(VmConfig const& config) = 0;
    // The guest kernel the last successful start() booted, for `inspect`; empty when the
    // backend cannot tell (libkrun boots the kernel its libkrunfw carries).
    virtual std::string booted_kernel() const { return {}; }
};

} // namespace microvm::hypervisor
