// The runner.json of a VM that the libkrun engine runs.
#pragma once

#include <string>

#include "contract/runner_config.hpp"
#include "host/hypervisor/vm_config.hpp"

namespace microvm::hypervisor::libkrun {

// Translates `config` for microvm-runner's libkrun engine: common_runner_config() plus the
// `library` to load (a dlopen name or path). Every share keeps its read_only flag and the
// read-only policy travels with them, so the runner can refuse (or warn about) shares this
// libkrun cannot enforce.
contract::RunnerConfig build_runner_config(VmConfig const& config, std::string const& library);

} // namespace microvm::hypervisor::libkrun
