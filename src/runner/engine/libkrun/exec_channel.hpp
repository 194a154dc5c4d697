// The libkrun engine's exec channel: the runner's exec relay (runner/exec_relay.hpp) with the
// agent's side on a vsock port that libkrun joins to a unix socket of the runner's.
#pragma once

#include <optional>

#include "contract/runner_config.hpp"
#include "runner/engine/libkrun/failure.hpp"
#include "runner/engine/libkrun/library.hpp"
#include "runner/exec_relay.hpp"
#include "runner/reporter.hpp"

namespace microvm::runner::libkrun {

// Serves the exec socket in runner.json's runtime_dir and adds the vsock port for the agent
// (with `no_network`, also the vsock device without TSI that the network plan left out).
// Without a runtime_dir (a runner.json written by hand: nobody would find the socket) the VM
// runs without exec, silently; with a libkrun that lacks krun_add_vsock_port2 (or
// krun_add_vsock for a VM without a network), also without exec, saying so once in
// runner.log. The relay runs in a thread of this process, which libkrun keeps for the VM's life.
Step<std::optional<ExecRelay>> serve_exec(contract::RunnerConfig const& config, KrunApi const& krun,
                                          std::uint32_t ctx, bool no_network, Reporter& reporter);

} // namespace microvm::runner::libkrun
