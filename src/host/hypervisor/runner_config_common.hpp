// What every runner-based backend puts in runner.json the same way: the backend-neutral half
// of the file. Each backend adds its engine's own section.
#pragma once

#include "contract/runner_config.hpp"
#include "host/hypervisor/vm_config.hpp"

namespace microvm::hypervisor {

// The runner.json for `config` run by `engine`, without the engine's section:
// the view's source as root_path with its upper and work directories (the runner mounts the
// overlay), the machine's size, every share with its read_only flag unchanged (DESIGN.md §4.1),
// the ports, the console and output paths, the log level and the read-only policy.
// Pure: checks nothing; contract::validate() does that.
contract::RunnerConfig common_runner_config(VmConfig const& config, contract::Engine engine);

} // namespace microvm::hypervisor
