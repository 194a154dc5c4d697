// The engine-neutral part of a VM's runner.json, straight from the caller's options.
#pragma once

#include <microvm/options.hpp>

#include "contract/runner_config.hpp"
#include "host/rootfs/rootfs_view.hpp"
#include "host/state/vm_dir.hpp"

namespace microvm {

// The runner.json for `options` booting `view`, without the engine's section (the engines'
// add_*_section()) or runtime_dir (process::launch_runner()): the view's source as root_path
// with its upper and work directories (the runner mounts the overlay), the machine's size,
// every share with its read_only flag unchanged (DESIGN.md §4.1), the ports and network, the
// console, output and report paths in `vm_dir`, the log level and the read-only policy.
// Pure: checks nothing; contract::validate() does that.
// The cap on each of the VM's logs (RunOptions::log_max_size with its default), or
// std::nullopt for none: by choice, or on the libkrun backend, which writes its logs itself.
std::optional<std::uint64_t> effective_log_max_size(RunOptions const& options);

contract::RunnerConfig runner_config_for(RunOptions const& options, rootfs::RootfsView const& view,
                                         state::VmDir const& vm_dir);

} // namespace microvm
