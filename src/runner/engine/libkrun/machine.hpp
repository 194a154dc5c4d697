// The VM itself: limits, log level, context, vCPUs and memory, root.
#pragma once

#include <cstdint>

#include "contract/runner_config.hpp"
#include "runner/engine/libkrun/failure.hpp"
#include "runner/engine/libkrun/library.hpp"

namespace microvm::runner::libkrun {

// libkrun takes the vCPU count as a uint8_t. More is refused as a configuration error (125)
// before anything is loaded, rather than being truncated. Stock libkrunfw is built with
// CONFIG_NR_CPUS=8, so counts above 8 may still fail later, in krun_set_vm_config (exit 1).
inline constexpr std::uint32_t max_vcpus = 255;

// What this engine cannot do with a config that is otherwise valid; RunnerExit::config_error.
Step<void> check_machine(contract::RunnerConfig const& config);

// krun_set_log_level, always called so libkrun's level is the config's, not its default.
Step<void> set_log_level(KrunApi const& krun, std::uint32_t level);

// krun_create_ctx; a failure means the engine cannot be initialised (RunnerExit::engine_init).
Step<std::uint32_t> create_ctx(KrunApi const& krun);

// krun_set_vm_config, then krun_set_root.
Step<void> configure_machine(KrunApi const& krun, std::uint32_t ctx,
                             contract::RunnerConfig const& config);

} // namespace microvm::runner::libkrun
