// Turning a backend-neutral VmConfig into the qemu engine's runner.json.
#pragma once

#include <filesystem>

#include "contract/runner_config.hpp"
#include "host/hypervisor/vm_config.hpp"

namespace microvm::hypervisor::qemu {

// The runner.json for `config` with engine qemu: the view's source as root_path with its
// upper and work directories (the runner mounts the overlay), every share with its
// read_only flag unchanged (DESIGN.md §4.1), the ports, the console and output paths, the
// policy, and `qemu` (binary, virtiofsd, accel, ...) with `kernel` and `initrd` filled in.
// Pure: checks nothing; contract::validate() does that.
contract::RunnerConfig make_runner_config(VmConfig const& config,
                                          std::filesystem::path const& kernel,
                                          std::filesystem::path const& initrd,
                                          contract::QemuSettings qemu = {});

} // namespace microvm::hypervisor::qemu
