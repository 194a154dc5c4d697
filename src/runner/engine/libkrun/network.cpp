#include "runner/engine/libkrun/network.hpp"

#include <spdlog/spdlog.h>

namespace microvm::runner::libkrun {

namespace {

using contract::RunnerExit;

// libkrun.h's COMPAT_NET_FEATURES (CSUM, GUEST_CSUM, GUEST_TSO4, GUEST_UFO, HOST_TSO4,
// HOST_UFO): the offloads every userspace provider (passt, gvproxy) handles.
constexpr std::uint32_t compat_net_features =
    (1u << 0) | (1u << 1) | (1u << 7) | (1u << 10) | (1u << 11) | (1u << 14);

// A fixed, locally administered unicast address: there is one NIC per VM, each on its own
// provider, so addresses never meet on a shared segment. libkrun reads six bytes from the
// pointer, so it is never null.
constexpr std::uint8_t guest_mac[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee};

std::string forward_name(contract::RunnerPortForward const& forward) {
    return std::to_string(forward.host) + ":" + std::to_string(forward.guest);
}

} // namespace

Step<NetworkPlan> plan_network(contract::RunnerConfig const& config, KrunApi const& krun) {
    NetworkPlan plan;
    if (config.network == NetworkMode::none) {
        if (krun.disable_implicit_vsock == nullptr) {
            return failure(RunnerExit::config_error,
                           "network \"none\": this libkrun has no krun_disable_implicit_vsock, "
                           "so its implicit network (TSI) cannot be turned off");
        }
        plan.kind = NetworkPlan::Kind::no_network;
        return plan;
    }
    if (config.egress) {
        return failure(RunnerExit::config_error,
                       "egress: libkrun's TSI carries the guest's own connections and the "
                       "forwarded ports alike, through no stack the runner can filter; an egress "
                       "policy (or outbound deny) cannot be enforced, so the VM is not started");
    }
    if (!config.net_sock_path.empty()) {
        if (krun.add_net_unixstream == nullptr) {
            return failure(RunnerExit::config_error,
                           "net_sock_path: this libkrun has no krun_add_net_unixstream");
        }
        plan.kind = NetworkPlan::Kind::unix_stream;
        plan.sock_path = config.net_sock_path;
        return plan;
    }
    if (config.port_forwards.empty()) {
        return plan;
    }
    if (krun.set_port_map == nullptr) {
        return failure(RunnerExit::config_error,
                       "port_forwards: this libkrun has no krun_set_port_map");
    }
    for (std::size_t i = 0; i < config.port_forwards.size(); ++i) {
        auto const& forward = config.port_forwards[i];
        if (forward.protocol != Protocol::tcp) {
            return failure(RunnerExit::config_error,
                           "port_forwards[" + std::to_string(i) + "]: " + forward_name(forward) +
                               "/udp: libkrun's port map (TSI) forwards TCP only");
        }
        plan.port_map.push_back(forward_name(forward));
    }
    plan.kind = NetworkPlan::Kind::port_map;
    return plan;
}

Step<void> add_network(KrunApi const& krun, std::uint32_t ctx, NetworkPlan const& plan) {
    switch (plan.kind) {
    case NetworkPlan::Kind::none:
        return {};
    case NetworkPlan::Kind::unix_stream: {
        spdlog::debug("krun_add_net_unixstream({}, {})", ctx, plan.sock_path);
        std::uint8_t mac[6];
        std::copy(std::begin(guest_mac), std::end(guest_mac), mac);
        // fd -1: libkrun connects to the path itself.
        TRY(checked(
            "krun_add_net_unixstream " + plan.sock_path,
            krun.add_net_unixstream(ctx, plan.sock_path.c_str(), -1, mac, compat_net_features, 0)));
        return {};
    }
    case NetworkPlan::Kind::no_network:
        spdlog::debug("krun_disable_implicit_vsock({})", ctx);
        TRY(checked("krun_disable_implicit_vsock", krun.disable_implicit_vsock(ctx)));
        return {};
    case NetworkPlan::Kind::port_map: {
        std::vector<char const*> entries;
        for (auto const& entry : plan.port_map) {
            entries.push_back(entry.c_str());
        }
        entries.push_back(nullptr);
        spdlog::debug("krun_set_port_map({}, {} entries)", ctx, plan.port_map.size());
        TRY(checked("krun_set_port_map", krun.set_port_map(ctx, entries.data())));
        return {};
    }
    }
    return {};
}

} // namespace microvm::runner::libkrun
