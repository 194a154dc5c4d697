#include "runner/engine/libkrun/machine.hpp"

#include <spdlog/spdlog.h>

namespace microvm::runner::libkrun {

using contract::RunnerExit;

Step<void> check_machine(contract::RunnerConfig const& config) {
    if (config.num_vcpus > max_vcpus) {
        return failure(RunnerExit::config_error, "num_vcpus " + std::to_string(config.num_vcpus) +
                                                     " is more than libkrun can take (" +
                                                     std::to_string(max_vcpus) + ")");
    }
    return {};
}

Step<void> set_log_level(KrunApi const& krun, std::uint32_t level) {
    spdlog::debug("krun_set_log_level({})", level);
    TRY(checked("krun_set_log_level " + std::to_string(level), krun.set_log_level(level)));
    return {};
}

Step<std::uint32_t> create_ctx(KrunApi const& krun) {
    int32_t ctx = TRY(checked("krun_create_ctx", krun.create_ctx(), RunnerExit::engine_init));
    spdlog::debug("krun_create_ctx() = {}", ctx);
    return static_cast<std::uint32_t>(ctx);
}

Step<void> configure_machine(KrunApi const& krun, std::uint32_t ctx,
                             contract::RunnerConfig const& config) {
    spdlog::debug("krun_set_vm_config({}, {}, {})", ctx, config.num_vcpus, config.ram_mib);
    TRY(checked(
        "krun_set_vm_config " + std::to_string(config.num_vcpus) + " vCPUs, " +
            std::to_string(config.ram_mib) + " MiB",
        krun.set_vm_config(ctx, static_cast<std::uint8_t>(config.num_vcpus), config.ram_mib)));
    spdlog::debug("krun_set_root({}, {})", ctx, config.root_path);
    TRY(checked("krun_set_root " + config.root_path, krun.set_root(ctx, config.root_path.c_str())));
    return {};
}

} // namespace microvm::runner::libkrun
