// microvm-init as the libkrun guest's first program (DESIGN.md §2): libkrun's own init mounts
// the root, /proc, /sys and /dev, then runs what krun_set_exec names; microvm-init, started
// with --libkrun, mounts the shares from /etc/microvm.json (read-only ones MS_RDONLY, the
// guest's half of DESIGN.md §4.1) and runs the workload, exactly as on qemu.
#pragma once

#include <cstdint>

#include "contract/runner_config.hpp"
#include "runner/engine/libkrun/failure.hpp"
#include "runner/engine/libkrun/library.hpp"

namespace microvm::runner::libkrun {

// True when runner.json names microvm-init (libkrun.init), so the guest enforces read-only
// shares too.
bool guest_runs_microvm_init(contract::RunnerConfig const& config);

// Checks, once the root is mounted, that libkrun.init is there: a regular, executable file
// reached without following any symlink. Fails with RunnerExit::start_failed naming it.
Step<void> check_guest_init(contract::RunnerConfig const& config);

// krun_set_exec(ctx, libkrun.init, {contract::libkrun_init_flag}, {}) when libkrun.init is set;
// nothing otherwise (libkrun's init then runs the root's /.krun_config.json). The environment is
// empty on purpose: libkrun would otherwise copy the runner's whole environment into the guest, and
// the workload's comes from /etc/microvm.json. A failed call is RunnerExit::runtime_error.
Step<void> set_guest_init(KrunApi const& krun, std::uint32_t ctx,
                          contract::RunnerConfig const& config);

} // namespace microvm::runner::libkrun
