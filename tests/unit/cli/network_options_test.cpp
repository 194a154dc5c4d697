#include <gtest/gtest.h>

#include <fstream>

#include "base/temp_dir.hpp"
#include "cli/network_options.hpp"

namespace microvm::cli {
namespace {

TEST(ParsePublish, HostGuestBindsLoopbackOverTcp) {
    auto forward = parse_publish("8080:80");
    ASSERT_TRUE(forward) << forward.error().text();
    EXPECT_EQ(forward->host, 8080);
    EXPECT_EQ(forward->guest, 80);
    EXPECT_EQ(forward->protocol, Protocol::tcp);
    EXPECT_EQ(forward->host_address, "127.0.0.1");
}

TEST(ParsePublish, ProtocolSuffix) {
    EXPECT_EQ(parse_publish("5353:53/udp")->protocol, Protocol::udp);
    EXPECT_EQ(parse_publish("8080:80/tcp")->protocol, Protocol::tcp);
    EXPECT_EQ(parse_publish("8080:80/sctp").error().text(),
              "-p \"8080:80/sctp\": unknown protocol \"sctp\" (expected one of tcp, udp)");
}

TEST(ParsePublish, HostAddress) {
    auto forward = parse_publish("0.0.0.0:8080:80/udp");
    ASSERT_TRUE(forward) << forward.error().text();
    EXPECT_EQ(forward->host_address, "0.0.0.0");
    EXPECT_EQ(forward->host, 8080);
    EXPECT_EQ(forward->guest, 80);
    EXPECT_EQ(forward->protocol, Protocol::udp);

    forward = parse_publish("[::1]:8080:80");
    ASSERT_TRUE(forward) << forward.error().text();
    EXPECT_EQ(forward->host_address, "::1");
    EXPECT_EQ(forward->host, 8080);
}

TEST(ParsePublish, BadSpecsNameTheValueAndTheProblem) {
    EXPECT_EQ(parse_publish("80").error().text(),
              "-p \"80\": expected [IP:]HOST:GUEST (a host port is required)");
    EXPECT_EQ(parse_publish("0:80").error().text(), "-p \"0:80\": host port \"0\" is not 1..65535");
    EXPECT_EQ(parse_publish("8080:65536").error().text(),
              "-p \"8080:65536\": guest port \"65536\" is not 1..65535");
    EXPECT_EQ(parse_publish(":80").error().text(), "-p \":80\": host port \"\" is not 1..65535");
    EXPECT_EQ(parse_publish("80x:80").error().text(),
              "-p \"80x:80\": host port \"80x\" is not 1..65535");
    EXPECT_EQ(parse_publish("::1:8080:80").error().text(),
              "-p \"::1:8080:80\": an IPv6 host address must be in brackets: "
              "[ADDRESS]:HOST:GUEST");
    EXPECT_EQ(parse_publish("[::1]8080:80").error().text(),
              "-p \"[::1]8080:80\": expected [IPV6]:HOST_PORT before the guest port");
    EXPECT_FALSE(parse_publish("8000-8010:80"));
}

// The address text itself is checked with the rest of RunOptions (validate()), which names
// the field; the parser only takes the value apart.
TEST(ParsePublish, AddressIsKeptAsGiven) {
    EXPECT_EQ(parse_publish("localhost:8080:80")->host_address, "localhost");
}

TEST(ApplyNetworkOptions, DefaultsAreUserNetworkWithOutboundAccess) {
    RunOptions options;
    ASSERT_TRUE(apply_network_options(NetworkArgs{}, options));
    EXPECT_EQ(options.network, NetworkMode::user);
    EXPECT_FALSE(options.egress);
    EXPECT_TRUE(options.ports.empty());
}

TEST(ApplyNetworkOptions, EveryPublishInOrderAndTheSwitches) {
    RunOptions options;
    NetworkArgs args{
        .publish = {"8080:80", "127.0.0.2:5353:53/udp"}, .network = "user", .no_outbound = true};
    auto applied = apply_network_options(args, options);
    ASSERT_TRUE(applied) << applied.error().text();
    ASSERT_EQ(options.ports.size(), 2u);
    EXPECT_EQ(options.ports[0].host, 8080);
    EXPECT_EQ(options.ports[1].host_address, "127.0.0.2");
    EXPECT_EQ(options.ports[1].protocol, Protocol::udp);
    // --no-outbound is the empty allow-list.
    ASSERT_TRUE(options.egress);
    EXPECT_TRUE(options.egress->allow.empty());
}

TEST(ApplyNetworkOptions, EgressRulesFromFlagsAndFileInOrder) {
    auto const dir = base::TempDir::create("egress-policy-test-");
    ASSERT_TRUE(dir);
    auto const file = dir->path() / "policy";
    {
        std::ofstream out(file);
        out << "# the package index\n*.deb.test:443\n\n  10.1.0.0/16:53/udp  # its resolver\n";
    }
    RunOptions options;
    NetworkArgs args{.egress_allow = {"api.test:443"},
                     .egress_policy_file = file.string(),
                     .dns = {"192.0.2.53"}};
    auto applied = apply_network_options(args, options);
    ASSERT_TRUE(applied) << applied.error().text();
    ASSERT_TRUE(options.egress);
    std::vector<std::string> rules;
    for (auto const& rule : options.egress->allow) {
        rules.push_back(rule.to_string());
    }
    EXPECT_EQ(rules, (std::vector<std::string>{"api.test:443/tcp", "*.deb.test:443/tcp",
                                               "10.1.0.0/16:53/udp"}));
    EXPECT_EQ(options.egress->dns, std::vector<std::string>{"192.0.2.53"});

    std::ofstream(file) << "ok.test\nbad..name\n";
    RunOptions rejected;
    EXPECT_EQ(apply_network_options(NetworkArgs{.egress_policy_file = file.string()}, rejected)
                  .error()
                  .text(),
              "--egress-policy: " + file.string() +
                  ": line 2: egress rule \"bad..name\": empty label in \"bad..name\"");
}

TEST(ApplyNetworkOptions, EgressMistakesNameTheFlag) {
    RunOptions options;
    EXPECT_EQ(apply_network_options(NetworkArgs{.egress_allow = {"*."}}, options).error().text(),
              "--egress-allow: egress rule \"*.\": no domain after \"*.\"");
    EXPECT_EQ(apply_network_options(NetworkArgs{.dns = {"192.0.2.53"}}, options).error().text(),
              "--dns 192.0.2.53: names an upstream for microvm's resolver, which only a VM under "
              "an egress policy has (--egress-allow, --egress-policy or --no-outbound)");
    EXPECT_EQ(
        apply_network_options(NetworkArgs{.no_outbound = true, .egress_allow = {"a.test"}}, options)
            .error()
            .text(),
        "--no-outbound allows nothing; it cannot be combined with --egress-allow or "
        "--egress-policy");
    EXPECT_EQ(
        apply_network_options(NetworkArgs{.network = "none", .egress_allow = {"a.test"}}, options)
            .error()
            .text(),
        "--network none has no network for an egress policy to filter");
    // --no-outbound with no network denies what is not there: accepted, as before policies.
    RunOptions none;
    ASSERT_TRUE(apply_network_options(NetworkArgs{.network = "none", .no_outbound = true}, none));
    EXPECT_FALSE(none.egress);
}

TEST(ApplyNetworkOptions, NoneHasNoPorts) {
    RunOptions options;
    ASSERT_TRUE(apply_network_options(NetworkArgs{.network = "none"}, options));
    EXPECT_EQ(options.network, NetworkMode::none);

    RunOptions rejected;
    EXPECT_EQ(
        apply_network_options(NetworkArgs{.publish = {"8080:80"}, .network = "none"}, rejected)
            .error()
            .text(),
        "-p 8080:80: --network none has no network to forward a port to");
}

TEST(ApplyNetworkOptions, UnknownModeNamesTheFlag) {
    RunOptions options;
    EXPECT_EQ(apply_network_options(NetworkArgs{.network = "bridge"}, options).error().text(),
              "--network: unknown network \"bridge\" (expected one of user, none)");
}

TEST(AddNetworkOptions, ParsesRepeatedPublishAndTheSwitches) {
    CLI::App app;
    NetworkArgs args;
    add_network_options(app, args);
    std::vector<std::string> argv = {"--no-outbound", "-p",        "80:8080", "--publish",
                                     "9000:90/udp",   "--network", "none"};
    std::reverse(argv.begin(), argv.end());
    app.parse(argv);
    EXPECT_EQ(args.publish, (std::vector<std::string>{"80:8080", "9000:90/udp"}));
    EXPECT_EQ(args.network, "none");
    EXPECT_TRUE(args.no_outbound);
}

} // namespace
} // namespace microvm::cli
