#include <gtest/gtest.h>

#include "krun_recorder.hpp"
#include "runner/engine/libkrun/network.hpp"

namespace microvm::runner::libkrun {
namespace {

using test::recorded;
using test::recording_api;

TEST(LibkrunNetwork, NoSocketAndNoForwardsMakesNoCall) {
    auto api = recording_api();
    auto plan = plan_network(contract::RunnerConfig{}, api);
    ASSERT_TRUE(plan);
    ASSERT_TRUE(add_network(api, 0, *plan));
    EXPECT_TRUE(recorded().empty());
}

TEST(LibkrunNetwork, TcpForwardsBecomeHostGuestPairs) {
    contract::RunnerConfig config;
    config.port_forwards = {{8080, 80, Protocol::tcp, "127.0.0.1"},
                            {2222, 22, Protocol::tcp, "127.0.0.1"}};
    auto api = recording_api();
    auto plan = plan_network(config, api);
    ASSERT_TRUE(plan) << plan.error().error.text();
    ASSERT_TRUE(add_network(api, 0, *plan));
    EXPECT_EQ(recorded(), (std::vector<std::string>{"set_port_map 8080:80 2222:22"}));
}

TEST(LibkrunNetwork, UdpForwardIsAConfigError) {
    contract::RunnerConfig config;
    config.port_forwards = {{5353, 53, Protocol::udp, "127.0.0.1"}};
    auto plan = plan_network(config, recording_api());
    ASSERT_FALSE(plan);
    EXPECT_EQ(plan.error().exit, contract::RunnerExit::config_error);
    EXPECT_EQ(plan.error().error.text(),
              "port_forwards[0]: 5353:53/udp: libkrun's port map (TSI) forwards TCP only");
}

TEST(LibkrunNetwork, SocketTakesPrecedenceOverForwards) {
    contract::RunnerConfig config;
    config.net_sock_path = "/run/net.sock";
    config.port_forwards = {{5353, 53, Protocol::udp, "127.0.0.1"}};
    auto api = recording_api();
    auto plan = plan_network(config, api);
    ASSERT_TRUE(plan) << plan.error().error.text();
    ASSERT_TRUE(add_network(api, 0, *plan));
    EXPECT_EQ(recorded(), (std::vector<std::string>{"add_net_unixstream /run/net.sock -1"}));
}

TEST(LibkrunNetwork, MissingCallsAreConfigErrors) {
    contract::RunnerConfig config;
    config.port_forwards = {{8080, 80, Protocol::tcp, "127.0.0.1"}};
    auto plan = plan_network(config, recording_api(true, false));
    ASSERT_FALSE(plan);
    EXPECT_EQ(plan.error().exit, contract::RunnerExit::config_error);

    config.net_sock_path = "/run/net.sock";
    plan = plan_network(config, recording_api(true, false));
    ASSERT_FALSE(plan);
    EXPECT_EQ(plan.error().exit, contract::RunnerExit::config_error);
}

} // namespace
} // namespace microvm::runner::libkrun
