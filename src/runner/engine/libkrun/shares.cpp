#include "runner/engine/libkrun/shares.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>

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
    bool const host_enforces = krun.add_virtiofs3 != nullptr;
    std::vector<PlannedShare> plan;
    for (auto const& mount : config.virtiofs_mounts) {
        PlannedShare share{mount.tag, mount.path, mount.read_only,
                           host_enforces ? ShareCall::virtiofs3 : ShareCall::virtiofs};
        if (mount.read_only && !host_enforces) {
            if (config.read_only_policy == ReadOnlyPolicy::require_host) {
                return failure(RunnerExit::config_error,
                               "virtiofs mount " + quoted(mount.tag) +
                                   " is read-only but this libkrun cannot enforce read-only "
                                   "shares (it has no krun_add_virtiofs3, libkrun >= 1.18 "
                                   "does); read_only_policy \"allow-guest-only\" would rely on "
                                   "the guest's MS_RDONLY alone");
            }
            // The exact text of DESIGN.md §4.1, which callers may match.
            std::fprintf(stderr,
                         "Warning: virtiofs mount \"%s\" is read-only but libkrun has no "
                         "host-side enforcement; relying on guest-side MS_RDONLY\n",
                         mount.tag.c_str());
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
