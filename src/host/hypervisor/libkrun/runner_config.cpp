#include "host/hypervisor/libkrun/runner_config.hpp"

#include "host/hypervisor/runner_config_common.hpp"

namespace microvm::hypervisor::libkrun {

contract::RunnerConfig build_runner_config(VmConfig const& config, std::string const& library) {
    contract::RunnerConfig out = common_runner_config(config, contract::Engine::libkrun);
    out.libkrun.library = library;
    return out;
}

} // namespace microvm::hypervisor::libkrun
