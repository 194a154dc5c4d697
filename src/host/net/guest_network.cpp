#include "host/net/guest_network.hpp"

#include "contract/network.hpp"

namespace microvm::net {

namespace {

constexpr char loopback_address[] = "127.0.0.1";

std::string port_field(std::size_t index, char const* member) {
    return "ports[" + std::to_string(index) + "]." + member;
}

Result<void> check_qemu(RunOptions const& options) {
    for (std::size_t i = 0; i < options.ports.size(); ++i) {
        auto const& address = options.ports[i].host_address;
        if (!contract::parse_ipv4(address)) {
            return fail(port_field(i, "host_address") + ": \"" + address +
                        "\": the qemu backend forwards from IPv4 addresses only");
        }
    }
    return {};
}

Result<void> check_libkrun(RunOptions const& options) {
    for (std::size_t i = 0; i < options.ports.size(); ++i) {
        auto const& port = options.ports[i];
        if (port.protocol != Protocol::tcp) {
            return fail(port_field(i, "protocol") +
                        ": the libkrun backend forwards TCP only (TSI port map)");
        }
        if (port.host_address != loopback_address) {
            return fail(port_field(i, "host_address") + ": \"" + port.host_address +
                        "\": libkrun's port map binds its own address; only " + loopback_address +
                        " is accepted");
        }
    }
    if (options.network == NetworkMode::user && options.egress) {
        return fail("egress: the libkrun backend cannot filter the guest's own connections: "
                    "TSI carries them and the forwarded ports alike");
    }
    return {};
}

} // namespace

std::optional<contract::GuestNetwork> guest_network(RunOptions const& options) {
    if (options.network == NetworkMode::none || options.backend != BackendKind::qemu) {
        return std::nullopt;
    }
    auto const& topology = contract::user_network;
    return contract::GuestNetwork{
        .address = topology.guest_cidr,
        .gateway = topology.gateway,
        .dns = {topology.dns},
    };
}

Result<void> check_network_support(RunOptions const& options) {
    switch (options.backend) {
    case BackendKind::qemu:
        return check_qemu(options);
    case BackendKind::libkrun:
        return check_libkrun(options);
    }
    return {};
}

} // namespace microvm::net
