#include "host/microvm/post_boot_hooks.hpp"

#include <spdlog/spdlog.h>

namespace microvm {

Result<void> run_post_boot_hooks(std::vector<PostBootHook> const& hooks, Vm& vm) {
    for (auto const& hook : hooks) {
        auto ran = hook.run ? hook.run(vm) : fail("the hook has no function");
        if (ran) {
            continue;
        }
        // The VM must not outlive a failed start: remove() stops it (the runner ends QEMU and
        // every virtiofsd, and is waited for) and deletes its directory.
        if (auto removed = vm.remove(); !removed) {
            spdlog::warn("post-boot hook \"{}\" failed; removing VM {}: {}", hook.name, vm.name(),
                         removed.error().text());
        }
        return std::unexpected(
            std::move(ran.error()).context("post-boot hook \"" + hook.name + "\""));
    }
    return {};
}

} // namespace microvm
