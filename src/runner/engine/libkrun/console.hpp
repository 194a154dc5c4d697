// Where the VM's output goes: libkrun writes the guest console (and with it the workload's
// output) to console_log_path when set, else to the runner's stdout.
#pragma once

#include <cstdint>

#include "contract/runner_config.hpp"
#include "runner/engine/libkrun/failure.hpp"
#include "runner/engine/libkrun/library.hpp"

namespace microvm::runner::libkrun {

// krun_set_console_output, when console_log_path is set.
Step<void> set_console_output(KrunApi const& krun, std::uint32_t ctx,
                              contract::RunnerConfig const& config);

// Points the runner's stdout and stderr at stdout_path / stderr_path (created 0600, appended
// to) when they are set, so the console that libkrun writes to stdout lands where the host
// follows it. Called last before krun_start_enter: until then the runner's own errors still
// reach the stderr its parent gave it.
Step<void> redirect_output(contract::RunnerConfig const& config);

} // namespace microvm::runner::libkrun
