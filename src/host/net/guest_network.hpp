// What the host tells the guest about its network, and which network options each backend can
// honour. The addresses come from contract/network.hpp, the one topology the qemu engine's
// user-mode network uses.
#pragma once

#include <optional>

#include <microvm/options.hpp>

#include "base/error.hpp"
#include "contract/guest_config.hpp"

namespace microvm::net {

// The guest's interface settings for a VM run with `options`: the user-mode network's static
// address, gateway and name server when the VM gets a NIC (qemu, network user); nothing when it
// has none (network none) or needs none (libkrun's TSI carries the guest's sockets without a
// NIC), in which case the guest configures loopback only.
std::optional<contract::GuestNetwork> guest_network(RunOptions const& options);

// Refuses, before anything is started, what the chosen backend cannot enforce (fail closed):
//   qemu:    host addresses other than IPv4 (QEMU 7.2's hostfwd takes IPv4 only);
//   libkrun: UDP forwards, a host address other than 127.0.0.1, and any egress policy,
//            --no-outbound included (TSI forwards and the guest's own connections are one
//            mechanism, which nothing outside libkrun can filter).
// Errors name the field: "ports[0].host_address: ...".
Result<void> check_network_support(RunOptions const& options);

} // namespace microvm::net
