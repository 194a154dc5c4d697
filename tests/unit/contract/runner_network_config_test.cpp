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
    EXPECT_EQ(config->outbound, Outbound::allow);
}

TEST(RunnerNetworkConfig, RoundTrips) {
    auto config = parse_runner_config(with_root(R"(,"network":"none","outbound":"deny")"));
    ASSERT_TRUE(config) << config.error().text();
    EXPECT_EQ(config->network, NetworkMode::none);
    EXPECT_EQ(config->outbound, Outbound::deny);
    auto again = parse_runner_config(serialize(*config));
    ASSERT_TRUE(again) << again.error().text();
    EXPECT_EQ(again->network, NetworkMode::none);
    EXPECT_EQ(again->outbound, Outbound::deny);
}

TEST(RunnerNetworkConfig, BadValuesNameTheField) {
    EXPECT_EQ(parse_runner_config(with_root(R"(,"network":"tap")")).error().text(),
              "network: unknown network \"tap\" (expected one of user, none)");
    EXPECT_EQ(parse_runner_config(with_root(R"(,"outbound":"some")")).error().text(),
              "outbound: unknown outbound policy \"some\" (expected one of allow, deny)");
    EXPECT_EQ(parse_runner_config(
                  with_root(R"(,"network":"none","port_forwards":[{"host":8080,"guest":80}])"))
                  .error()
                  .text(),
              "port_forwards: network is \"none\"");
}

} // namespace
} // namespace microvm::contract
