#include "runner/read_only_policy.hpp"

#include <cstdio>

#include "contract/share_rules.hpp"

namespace microvm::runner {

Step<bool> decide_read_only(contract::Engine engine, std::string const& tag,
                            Result<void> const& host_side, ReadOnlyPolicy policy,
                            GuestEnforcement guest) {
    if (host_side) {
        return true;
    }
    if (guest == GuestEnforcement::none) {
        return failure(
            contract::RunnerExit::config_error,
            "virtiofs mount \"" + tag +
                "\" is read-only but nothing would enforce it: " + host_side.error().text() +
                ", and no microvm-init runs in the guest to mount it read-only");
    }
    std::string const engine_name = contract::to_string(engine);
    if (policy == ReadOnlyPolicy::require_host) {
        // The cause keeps its errno: it is the innermost clause of the message.
        return failure(contract::RunnerExit::config_error,
                       Error(host_side.error())
                           .context("virtiofs mount \"" + tag + "\" is read-only but the " +
                                    engine_name +
                                    " engine cannot enforce it on the host; refusing to start "
                                    "(allow guest-only enforcement with "
                                    "--allow-guest-only-readonly to run anyway)"));
    }
    std::fprintf(stderr, "%s\n", contract::guest_only_warning(tag, engine_name).c_str());
    return false;
}

} // namespace microvm::runner
