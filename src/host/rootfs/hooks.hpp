// Running the caller's rootfs hooks (microvm/hooks.hpp) on the VM's view before boot. (The
// post-boot hooks run next to run(): host/microvm/post_boot_hooks.hpp.)
#pragma once

#include <optional>
#include <vector>

#include <microvm/hooks.hpp>

#include "base/error.hpp"
#include "host/image/image_config.hpp"
#include "host/rootfs/rootfs_view.hpp"

namespace microvm::rootfs {

// Runs `hooks` in order on the VM's view, before boot. The first failure is returned with the
// context "rootfs hook \"<name>\"".
Result<void> run_rootfs_hooks(std::vector<RootfsHook> const& hooks, RootfsView const& view,
                              std::optional<image::Workload> const& workload);

} // namespace microvm::rootfs
