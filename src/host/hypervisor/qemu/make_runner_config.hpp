// Turning a backend-neutral VmConfig into the qemu engine's runner.json.
#pragma once

#include <filesystem>

#include "contract/runner_config.hpp"
#include "host/hypervisor/vm_config.hpp"

namespace microvm::hypervisor::qemu {

// The runner.json for `config` with engine qemu: common_runner_config() plus `qemu` (binary,
// virtiofsd, accel, ...) with `kernel` and `initrd` filled in.
// Pure: checks nothing; contract::validate() does that.
contract::RunnerConfig make_runner_config(VmConfig const& config,
                                          std::filesystem::path const& kernel,
                                          std::filesystem::path const& initrd,
                                          contract::QemuSettings qemu = {});

} // namespace microvm::hypervisor::qemu
