#include <gtest/gtest.h>

#include <microvm/options.hpp>

#include "host/net/guest_network.hpp"

namespace microvm::net {
namespace {

std::string problem(RunOptions const& options) {
    auto checked = check_network_support(options);
    return checked ? std::string() : checked.error().text();
}

TEST(GuestNetwork, QemuUserNetworkGetsTheSlirpAddresses) {
    RunOptions options;
    auto network = guest_network(options);
    ASSERT_TRUE(network);
    EXPECT_EQ(network->address, "10.0.2.15/24");
    EXPECT_EQ(network->gateway, "10.0.2.2");
    EXPECT_EQ(network->dns, std::vector<std::string>{"10.0.2.3"});
    // An egress policy changes what the network lets through, not the guest's addresses.
    options.egress = EgressPolicy{};
    EXPECT_EQ(guest_network(options), network);
}

TEST(GuestNetwork, NoInterfaceToConfigureWithoutANic) {
    RunOptions options;
    options.network = NetworkMode::none;
    EXPECT_FALSE(guest_network(options));
    // libkrun's TSI carries the guest's sockets without a network interface.
    options.network = NetworkMode::user;
    options.backend = BackendKind::libkrun;
    EXPECT_FALSE(guest_network(options));
}

TEST(CheckNetworkSupport, QemuForwardsFromIpv4Addresses) {
    RunOptions options;
    options.ports = {
        {.host = 8080, .guest = 80},
        {.host = 5353, .guest = 53, .protocol = Protocol::udp, .host_address = "0.0.0.0"}};
    options.egress = EgressPolicy{};
    EXPECT_EQ(problem(options), "");
    options.ports.push_back({.host = 9000, .guest = 90, .host_address = "::1"});
    EXPECT_EQ(problem(options), "ports[2].host_address: \"::1\": the qemu backend forwards from "
                                "IPv4 addresses only");
}

TEST(CheckNetworkSupport, LibkrunRefusesWhatTsiCannotDo) {
    RunOptions options;
    options.backend = BackendKind::libkrun;
    options.ports = {{.host = 8080, .guest = 80}};
    EXPECT_EQ(problem(options), "");
    options.ports = {{.host = 5353, .guest = 53, .protocol = Protocol::udp}};
    EXPECT_EQ(problem(options),
              "ports[0].protocol: the libkrun backend forwards TCP only (TSI port map)");
    options.ports = {{.host = 8080, .guest = 80, .host_address = "0.0.0.0"}};
    EXPECT_EQ(problem(options), "ports[0].host_address: \"0.0.0.0\": libkrun's port map binds "
                                "its own address; only 127.0.0.1 is accepted");
    options.ports.clear();
    options.egress = EgressPolicy{};
    EXPECT_EQ(problem(options), "egress: the libkrun backend cannot filter the guest's own "
                                "connections: TSI carries them and the forwarded ports alike");
    // With no network at all there is nothing to deny.
    options.network = NetworkMode::none;
    EXPECT_EQ(problem(options), "");
}

// validate(RunOptions) runs these checks, after its own: ports with no network is one of them.
TEST(CheckNetworkSupport, ValidateRefusesPortsWithoutANetwork) {
    RunOptions options;
    options.network = NetworkMode::none;
    options.ports = {{.host = 8080, .guest = 80}};
    auto valid = validate(options);
    ASSERT_FALSE(valid);
    EXPECT_EQ(valid.error().text(),
              "ports: a VM with network \"none\" has no network to forward 8080 to");
    options.backend = BackendKind::libkrun;
    options.ports = {{.host = 8080, .guest = 80, .protocol = Protocol::udp}};
    options.network = NetworkMode::user;
    valid = validate(options);
    ASSERT_FALSE(valid);
    EXPECT_EQ(valid.error().text(),
              "ports[0].protocol: the libkrun backend forwards TCP only (TSI port map)");
}

} // namespace
} // namespace microvm::net
