// The engines microvm-runner can run. Each one runs the VM described by a validated config
// to its end and returns the runner's exit status: the workload's status, or a
// contract::RunnerExit code after printing what went wrong to stderr.
#pragma once

#include "contract/runner_config.hpp"

namespace microvm::runner {

namespace libkrun {
[[nodiscard]] int run(contract::RunnerConfig const& config);
}

namespace qemu {
[[nodiscard]] int run(contract::RunnerConfig const& config);
}

} // namespace microvm::runner
