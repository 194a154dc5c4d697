// runner.json's network keys.
#include <gtest/gtest.h>

#include <string>

#include "base/temp_dir.hpp"
#include "contract/runner_config.hpp"

namespace microvm::contract {
namespace {

std::string with_root(std::string const& extra) {
    static auto const root = std::move(*base::TempDir::create("runner-network-test-"));
    return R"({"root_path":")" + root.path().string() + R"(","num_vcpus":1,"ram_mib":64)" + extra +
           "}";
}

TEST(RunnerNetworkConfig, DefaultsKeepAGoMicrovmFilesNetwork) {
    auto config = parse_runner_config(with_root(""));
    ASSERT_TRUE(config) << config.error().text();
    EXPECT_EQ(config->network, NetworkMode::user);
    EXPECT_FALSE(config->egress);
}

TEST(RunnerNetworkConfig, RoundTrips) {
    auto config = parse_runner_config(with_root(R"(,"network":"none")"));
    ASSERT_TRUE(config) << config.error().text();
    EXPECT_EQ(config->network, NetworkMode::none);
    auto again = parse_runner_config(serialize(*config));
    ASSERT_TRUE(again) << again.error().text();
    EXPECT_EQ(again->network, NetworkMode::none);
}

TEST(RunnerNetworkConfig, EgressPolicyRoundTripsAsCanonicalRules) {
    auto config = parse_runner_config(with_root(
        R"(,"egress":{"allow":["Example.COM:443","*.pkg.test","10.1.0.0/16:53/udp"],"dns":["192.0.2.53"]})"));
    ASSERT_TRUE(config) << config.error().text();
    ASSERT_TRUE(config->egress);
    ASSERT_EQ(config->egress->allow.size(), 3u);
    EXPECT_EQ(config->egress->allow[0].to_string(), "example.com:443/tcp");
    EXPECT_EQ(config->egress->allow[1].to_string(), "*.pkg.test/tcp");
    EXPECT_EQ(config->egress->allow[2].to_string(), "10.1.0.0/16:53/udp");
    EXPECT_EQ(config->egress->dns, std::vector<std::string>{"192.0.2.53"});
    auto again = parse_runner_config(serialize(*config));
    ASSERT_TRUE(again) << again.error().text();
    EXPECT_EQ(again->egress, config->egress);
}

// An empty list is a policy too: deny everything (--no-outbound).
TEST(RunnerNetworkConfig, EmptyEgressAllowListIsDenyAll) {
    auto config = parse_runner_config(with_root(R"(,"egress":{"allow":[]})"));
    ASSERT_TRUE(config) << config.error().text();
    ASSERT_TRUE(config->egress);
    EXPECT_TRUE(config->egress->allow.empty());
    auto again = parse_runner_config(serialize(*config));
    ASSERT_TRUE(again && again->egress);
    EXPECT_TRUE(again->egress->allow.empty());
}

TEST(RunnerNetworkConfig, BadValuesNameTheField) {
    EXPECT_EQ(parse_runner_config(with_root(R"(,"network":"tap")")).error().text(),
              "network: unknown network \"tap\" (expected one of user, none)");
    EXPECT_EQ(parse_runner_config(with_root(R"(,"egress":{"allow":["a..b"]})")).error().text(),
              "egress.allow[0]: egress rule \"a..b\": empty label in \"a..b\"");
    EXPECT_EQ(parse_runner_config(with_root(R"(,"egress":{"dns":["resolver"]})")).error().text(),
              "egress: dns[0]: \"resolver\" is not an IPv4 address");
    EXPECT_EQ(
        parse_runner_config(with_root(R"(,"network":"none","egress":{"allow":[]})")).error().text(),
        "egress: network is \"none\"");
    EXPECT_EQ(parse_runner_config(
                  with_root(R"(,"network":"none","port_forwards":[{"host":8080,"guest":80}])"))
                  .error()
                  .text(),
              "port_forwards: network is \"none\"");
}

} // namespace
} // namespace microvm::contract
