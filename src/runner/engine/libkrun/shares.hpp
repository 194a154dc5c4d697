// virtio-fs shares and their read-only enforcement (DESIGN.md §4.1).
//
// A read-only share is added with krun_add_virtiofs3(ctx, tag, path, 0, true): the host side
// then fails every mutating request with EROFS, whatever the guest kernel does. A read-write
// share uses krun_add_virtiofs3(..., false) when the library has it, so that every share goes
// through the same call, and krun_add_virtiofs otherwise. shm_size 0 means no DAX window,
// as with krun_add_virtiofs.
//
// Without krun_add_virtiofs3 (libkrun < 1.18) a read-only share cannot be enforced on the
// host: runner/read_only_policy.hpp decides, as for every engine ("require-host" refuses to
// start, "allow-guest-only" warns and adds it with krun_add_virtiofs, leaving the guest's
// MS_RDONLY as the only protection).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "contract/runner_config.hpp"
#include "runner/engine/libkrun/failure.hpp"
#include "runner/engine/libkrun/library.hpp"

namespace microvm::runner::libkrun {

enum class ShareCall { virtiofs3, virtiofs };

struct PlannedShare {
    std::string tag;
    std::string path;
    bool read_only = false;
    // The library refuses writes to it (read-only and added with krun_add_virtiofs3).
    bool host_enforced = false;
    ShareCall call = ShareCall::virtiofs3;
};

// Decides the call for every share and applies the read-only policy, printing the warnings.
// Runs before the context is created, so a refusal leaves nothing half set up.
Step<std::vector<PlannedShare>> plan_shares(contract::RunnerConfig const& config,
                                            KrunApi const& krun);

// Adds the shares in order; a failed call is RunnerExit::runtime_error naming the tag.
Step<void> add_shares(KrunApi const& krun, std::uint32_t ctx,
                      std::vector<PlannedShare> const& shares);

} // namespace microvm::runner::libkrun
