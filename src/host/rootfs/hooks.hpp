// Running the caller's hooks (microvm/hooks.hpp) at their two points of run().
#pragma once

#include <optional>
#include <vector>

#include <microvm/hooks.hpp>
#include <microvm/microvm.hpp>

#include "base/error.hpp"
#include "host/hypervisor/vm_config.hpp"
#include "host/image/image_config.hpp"

namespace microvm::rootfs {

// Runs `hooks` in order on the VM's view, before boot. The first failure is returned with the
// context "rootfs hook \"<name>\"".
[[nodiscard]] Result<void> run_rootfs_hooks(std::vector<RootfsHook> const& hooks,
                                            hypervisor::RootfsView const& view,
                                            std::optional<image::Workload> const& workload);

// Runs `hooks` in order on the started VM. On the first failure the VM is removed (stopped,
// waited for, its directory deleted), so nothing of it keeps running, and the hook's error is
// returned with the context "post-boot hook \"<name>\"".
[[nodiscard]] Result<void> run_post_boot_hooks(std::vector<PostBootHook> const& hooks, Vm& vm);

} // namespace microvm::rootfs
