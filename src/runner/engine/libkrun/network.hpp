// The VM's network: a unix-stream socket to a userspace network provider, TSI port maps, or
// no network at all.
//
// With net_sock_path, libkrun adds a virtio-net device connected to that socket
// (krun_add_net_unixstream) and the provider behind it owns the port forwards. Without it,
// port_forwards become a TSI port map (krun_set_port_map, "host:guest" entries). TSI maps
// TCP only, so a UDP forward there is a configuration error (RunnerExit::config_error), as is
// any forward or socket this libkrun has no call for. TSI binds the host side itself: it
// cannot honour host_address, so the port may be reachable beyond loopback.
//
// network "none" turns off libkrun's implicit vsock device, which is what carries TSI
// (krun_disable_implicit_vsock); a libkrun without that call cannot give a guest no network,
// so the runner refuses (fail closed). outbound "deny" is refused too: TSI carries the
// guest's own connections and the forwarded ports alike, so it cannot cut one and keep the
// other.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "contract/runner_config.hpp"
#include "runner/engine/libkrun/failure.hpp"
#include "runner/engine/libkrun/library.hpp"

namespace microvm::runner::libkrun {

struct NetworkPlan {
    // none: libkrun's defaults (TSI, no port map); no_network: the implicit vsock turned off.
    enum class Kind { none, unix_stream, port_map, no_network };
    Kind kind = Kind::none;
    std::string sock_path;
    std::vector<std::string> port_map; // "host:guest"
};

// Checks the network part of the config against what the library exports, before any call.
Step<NetworkPlan> plan_network(contract::RunnerConfig const& config, KrunApi const& krun);

// Makes the call the plan names, if any; a failure is RunnerExit::runtime_error.
Step<void> add_network(KrunApi const& krun, std::uint32_t ctx, NetworkPlan const& plan);

} // namespace microvm::runner::libkrun
