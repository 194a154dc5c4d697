#include "runner/engine/libkrun/root.hpp"

#include <spdlog/spdlog.h>

#include "runner/layer_disk.hpp"
#include "runner/private_mounts.hpp"

namespace microvm::runner::libkrun {

Step<void> prepare_root(contract::RunnerConfig const& config) {
    if (config.root_upper_dir.empty()) {
        return {};
    }
    auto overlay = [&]() -> Result<void> {
        TRY(enter_private_mount_namespace());
        if (!config.root_disk_image.empty()) {
            TRY(LayerDiskMount::mount(config.root_disk_image, layer_disk_mountpoint(config)))
                .keep_until_exit();
        }
        TRY(mount_overlay(config.root_path, config.root_upper_dir, config.root_work_dir,
                          config.root_path));
        return {};
    }();
    if (!overlay) {
        return failure(contract::RunnerExit::start_failed,
                       std::move(overlay.error()).context("mount the VM's root overlay"));
    }
    spdlog::info("root overlay: lower {}, upper {}", config.root_path, config.root_upper_dir);
    return {};
}

} // namespace microvm::runner::libkrun
