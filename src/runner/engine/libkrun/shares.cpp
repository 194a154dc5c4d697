#include "runner/engine/libkrun/shares.hpp"

#include <spdlog/spdlog.h>

#include "runner/engine/libkrun/guest_init.hpp"
#include "runner/privileged_files_policy.hpp"
#include "runner/read_only_policy.hpp"

namespace microvm::runner::libkrun {

namespace {

using contract::RunnerExit;

// No DAX window: the guest reads through the virtio queue, as with krun_add_virtiofs.
constexpr std::uint64_t no_shm_window = 0;

std::string quoted(std::string const& tag) {
    return "\"" + tag + "\"";
}

} // namespace

Step<std::vector<PlannedShare>> plan_shares(contract::RunnerConfig const& config,
                                            KrunApi const& krun) {
    bool const has_virtiofs3 = krun.add_virtiofs3 != nullptr;
    Result<void> const host_side =
        has_virtiofs3 ? Result<void>()
                      : fail("this libkrun has no krun_add_virtiofs3; libkrun >= 1.18 does");
    std::vector<PlannedShare> plan;
    for (auto const& mount : config.virtiofs_mounts) {
        // libkrun serves shares from inside its own process, with the runner's capabilities
        // and no hook to filter one share's calls.
        TRY(require_privilege_refusals(contract::Engine::libkrun, mount, HostRefusals{}));
        PlannedShare share{.tag = mount.tag,
                           .path = mount.path,
                           .read_only = mount.read_only,
                           .host_enforced = false,
                           .call = has_virtiofs3 ? ShareCall::virtiofs3 : ShareCall::virtiofs};
        if (mount.read_only) {
            share.host_enforced = TRY(decide_read_only(
                contract::Engine::libkrun, mount.tag, host_side, config.read_only_policy,
                guest_runs_microvm_init(config) ? GuestEnforcement::microvm_init
                                                : GuestEnforcement::none));
        }
        plan.push_back(std::move(share));
    }
    return plan;
}

Step<void> add_shares(KrunApi const& krun, std::uint32_t ctx,
                      std::vector<PlannedShare> const& shares) {
    for (auto const& share : shares) {
        char const* tag = share.tag.c_str();
        char const* path = share.path.c_str();
        if (share.call == ShareCall::virtiofs3) {
            spdlog::debug("krun_add_virtiofs3({}, {}, {}, {}, {})", ctx, share.tag, share.path,
                          no_shm_window, share.read_only);
            TRY(checked("krun_add_virtiofs3 " + quoted(share.tag) + " " + share.path,
                        krun.add_virtiofs3(ctx, tag, path, no_shm_window, share.read_only)));
        } else {
            spdlog::debug("krun_add_virtiofs({}, {}, {})", ctx, share.tag, share.path);
            TRY(checked("krun_add_virtiofs " + quoted(share.tag) + " " + share.path,
                        krun.add_virtiofs(ctx, tag, path)));
        }
    }
    return {};
}

} // namespace microvm::runner::libkrun
