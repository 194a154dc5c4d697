// The network part of /etc/microvm.json, and the address parsing both sides use.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <string>

#include "contract/guest_config.hpp"
#include "contract/network.hpp"

namespace microvm::contract {
namespace {

constexpr char source[] = "/etc/microvm.json";

std::string parse_error(std::string const& json) {
    auto config = parse_guest_config(json, source);
    EXPECT_FALSE(config) << json << " parsed";
    return config ? std::string() : config.error().text();
}

TEST(GuestNetworkConfig, AbsentMeansLoopbackOnly) {
    // A go-microvm host's file has no network key.
    auto config = parse_guest_config(R"({"tmp_size_mib":512})", source);
    ASSERT_TRUE(config) << config.error().text();
    EXPECT_FALSE(config->network);
}

TEST(GuestNetworkConfig, RoundTrips) {
    GuestConfig config;
    config.network =
        GuestNetwork{.address = "10.0.2.15/24", .gateway = "10.0.2.2", .dns = {"10.0.2.3"}};
    std::string const text = serialize(config);
    EXPECT_NE(text.find(R"("network": {)"), std::string::npos) << text;
    auto parsed = parse_guest_config(text, source);
    ASSERT_TRUE(parsed) << parsed.error().text();
    EXPECT_EQ(parsed->network, config.network);

    config.network = GuestNetwork{.address = "192.168.1.2/16", .gateway = "", .dns = {}};
    parsed = parse_guest_config(serialize(config), source);
    ASSERT_TRUE(parsed) << parsed.error().text();
    EXPECT_EQ(parsed->network, config.network);
    EXPECT_EQ(serialize(config).find("gateway"), std::string::npos);
}

TEST(GuestNetworkConfig, BadValuesNameTheField) {
    EXPECT_EQ(parse_error(R"({"network":{}})"), "/etc/microvm.json: network.address: is required");
    EXPECT_EQ(parse_error(R"({"network":{"address":"10.0.2.15"}})"),
              "/etc/microvm.json: network.address: \"10.0.2.15\" is not ADDRESS/PREFIX");
    EXPECT_EQ(parse_error(R"({"network":{"address":"10.0.2.15/33"}})"),
              "/etc/microvm.json: network.address: \"10.0.2.15/33\": the prefix length must be "
              "0..32");
    EXPECT_EQ(parse_error(R"({"network":{"address":"10.0.2.15/24","gateway":"gw"}})"),
              "/etc/microvm.json: network.gateway: \"gw\" is not an IPv4 address");
    EXPECT_EQ(parse_error(R"({"network":{"address":"10.0.2.15/24","dns":["x"]}})"),
              "/etc/microvm.json: network.dns[0]: \"x\" is not an IP address");
    EXPECT_EQ(parse_error(R"({"network":{"address":"10.0.2.15/24","dns":["1.1.1.1","1.0.0.1",)"
                          R"("8.8.8.8","8.8.4.4"]}})"),
              "/etc/microvm.json: network.dns: more than 3 servers");
    EXPECT_FALSE(parse_guest_config(R"({"network":"user"})", source));
}

TEST(Ipv4Cidr, NetmaskOfThePrefix) {
    auto mask = [](char const* text) {
        auto cidr = parse_ipv4_cidr(text);
        EXPECT_TRUE(cidr) << text;
        char out[INET_ADDRSTRLEN];
        auto const netmask = cidr->netmask();
        ::inet_ntop(AF_INET, &netmask, out, sizeof out);
        return std::string(out);
    };
    EXPECT_EQ(mask("10.0.2.15/24"), "255.255.255.0");
    EXPECT_EQ(mask("10.0.2.15/0"), "0.0.0.0");
    EXPECT_EQ(mask("10.0.2.15/32"), "255.255.255.255");
    EXPECT_EQ(mask("10.0.2.15/20"), "255.255.240.0");
    EXPECT_FALSE(parse_ipv4_cidr("10.0.2.15/"));
    EXPECT_FALSE(parse_ipv4_cidr("10.0.2.15/2x"));
    EXPECT_FALSE(parse_ipv4_cidr("::1/64"));
}

TEST(UserNetworkTopology, GuestAndGatewayShareTheNetwork) {
    auto const network = *parse_ipv4_cidr(user_network.network_cidr);
    auto const guest = *parse_ipv4_cidr(user_network.guest_cidr);
    auto const gateway = *parse_ipv4(user_network.gateway);
    auto const dns = *parse_ipv4(user_network.dns);
    auto const mask = guest.netmask().s_addr;
    EXPECT_EQ(guest.prefix_length, network.prefix_length);
    EXPECT_EQ(guest.address.s_addr & mask, network.address.s_addr);
    EXPECT_EQ(gateway.s_addr & mask, network.address.s_addr);
    EXPECT_EQ(dns.s_addr & mask, network.address.s_addr);
}

} // namespace
} // namespace microvm::contract
