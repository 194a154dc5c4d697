// DESIGN.md §4.1 for every engine: a read-only share is enforced by the host-side file server,
// or the VM does not start unless the caller accepted guest-only enforcement. Each engine only
// finds out whether it can enforce a share; this decides what that means, the same way for all.
#pragma once

#include <string>

#include <microvm/options.hpp>

#include "base/error.hpp"
#include "contract/runner_config.hpp"
#include "runner/failure.hpp"

namespace microvm::runner {

// For read-only share `tag`: `host_side` is success when `engine` enforces it on the host, else
// why it cannot. Returns true when the host enforces it. When it cannot:
//  - ReadOnlyPolicy::require_host fails with RunnerExit::config_error, naming the share and the
//    opt-in, with `host_side`'s error (errno kept) as the cause;
//  - ReadOnlyPolicy::allow_guest_only prints contract::guest_only_warning() to stderr and
//    returns false: the guest's MS_RDONLY alone protects the share, and the runner's report
//    says so (host_enforced false).
// Whether microvm-init runs in the guest and mounts read-only shares MS_RDONLY: always on qemu;
// on libkrun only when runner.json names libkrun.init.
enum class GuestEnforcement { microvm_init, none };

// Without GuestEnforcement::microvm_init nothing would enforce a share the host cannot, so that
// fails with RunnerExit::config_error whatever the policy.
Step<bool> decide_read_only(contract::Engine engine, std::string const& tag,
                            Result<void> const& host_side, ReadOnlyPolicy policy,
                            GuestEnforcement guest = GuestEnforcement::microvm_init);

} // namespace microvm::runner
