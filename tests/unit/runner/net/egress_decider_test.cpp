// The egress policy's decision function (runner/net/egress_decider.hpp). Unit level only: the
// addresses below (metadata, loopback, the host's) are only ever compared, never connected to.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "runner/net/egress_decider.hpp"

namespace microvm::runner::net {
namespace {

using std::chrono::seconds;

// A fixed origin: tests pass time points explicitly, so nothing depends on the clock.
Clock::time_point const t0 = Clock::time_point{} + std::chrono::hours(1000);

IpAddress ip(std::string_view text) {
    auto address = parse_ip_address(text);
    EXPECT_TRUE(address) << text;
    return address ? *address : IpAddress{};
}

EgressPolicy policy(std::vector<std::string_view> const& rules) {
    EgressPolicy out;
    for (auto text : rules) {
        auto rule = parse_egress_rule(text);
        EXPECT_TRUE(rule) << text << ": " << rule.error().text();
        if (rule) {
            out.allow.push_back(*rule);
        }
    }
    return out;
}

Destination tcp(std::string_view address, std::uint16_t port) {
    return {ip(address), port, Protocol::tcp};
}

Destination udp(std::string_view address, std::uint16_t port) {
    return {ip(address), port, Protocol::udp};
}

TEST(EgressDecider, EmptyPolicyDeniesEverything) {
    EgressDecider const decider(EgressPolicy{}, {});
    EXPECT_FALSE(decider.allows(tcp("192.0.2.7", 443), t0));
    EXPECT_FALSE(decider.allows(udp("192.0.2.7", 443), t0));
    EXPECT_FALSE(decider.name_allowed("example.com"));
    EXPECT_FALSE(decider.opens_gateway());
}

TEST(EgressDecider, StaticRulesAllowTheirAddressesPortsAndProtocol) {
    EgressDecider const decider(
        policy({"192.0.2.7:443", "198.51.100.0/24:8000-8080", "203.0.113.9:5000/udp"}), {});
    EXPECT_TRUE(decider.allows(tcp("192.0.2.7", 443), t0));
    EXPECT_FALSE(decider.allows(tcp("192.0.2.7", 80), t0));
    EXPECT_FALSE(decider.allows(udp("192.0.2.7", 443), t0));
    EXPECT_FALSE(decider.allows(tcp("192.0.2.8", 443), t0));

    EXPECT_TRUE(decider.allows(tcp("198.51.100.1", 8000), t0));
    EXPECT_TRUE(decider.allows(tcp("198.51.100.254", 8080), t0));
    EXPECT_FALSE(decider.allows(tcp("198.51.100.1", 7999), t0));
    EXPECT_FALSE(decider.allows(tcp("198.51.100.1", 8081), t0));
    EXPECT_FALSE(decider.allows(tcp("198.51.101.1", 8000), t0));

    EXPECT_TRUE(decider.allows(udp("203.0.113.9", 5000), t0));
    EXPECT_FALSE(decider.allows(tcp("203.0.113.9", 5000), t0));
    EXPECT_FALSE(decider.allows(udp("203.0.113.9", 5001), t0));
}

TEST(EgressDecider, AnyPortRulesAllowEveryPortButDns) {
    EgressDecider const decider(policy({"192.0.2.0/24", "198.51.100.7/udp"}), {});
    EXPECT_TRUE(decider.allows(tcp("192.0.2.7", 1), t0));
    EXPECT_TRUE(decider.allows(tcp("192.0.2.7", 65535), t0));
    EXPECT_TRUE(decider.allows(udp("198.51.100.7", 123), t0));
    // "Any port" does not let the guest pick its own resolver or DNS over TLS.
    EXPECT_FALSE(decider.allows(tcp("192.0.2.7", 53), t0));
    EXPECT_FALSE(decider.allows(tcp("192.0.2.7", 853), t0));
    EXPECT_FALSE(decider.allows(udp("198.51.100.7", 53), t0));
    EXPECT_FALSE(decider.allows(udp("198.51.100.7", 853), t0));
}

TEST(EgressDecider, DnsPortsNeedARuleThatNamesThem) {
    EgressDecider const decider(policy({"192.0.2.53:53/udp", "192.0.2.53:53", "192.0.2.54:853"}),
                                {});
    EXPECT_TRUE(decider.allows(udp("192.0.2.53", 53), t0));
    EXPECT_TRUE(decider.allows(tcp("192.0.2.53", 53), t0));
    EXPECT_TRUE(decider.allows(tcp("192.0.2.54", 853), t0));
    EXPECT_FALSE(decider.allows(udp("192.0.2.54", 853), t0));
    EXPECT_FALSE(decider.allows(udp("192.0.2.55", 53), t0));
}

TEST(EgressDecider, NamesAllowedByExactAndSubdomainRules) {
    EgressDecider const decider(policy({"api.example.com:443", "*.pkg.test"}), {});
    EXPECT_TRUE(decider.name_allowed("api.example.com"));
    EXPECT_FALSE(decider.name_allowed("example.com"));
    EXPECT_FALSE(decider.name_allowed("www.api.example.com"));
    EXPECT_TRUE(decider.name_allowed("files.pkg.test"));
    EXPECT_TRUE(decider.name_allowed("a.b.pkg.test"));
    EXPECT_FALSE(decider.name_allowed("pkg.test"));
    EXPECT_FALSE(decider.name_allowed("evilpkg.test"));
}

TEST(EgressDecider, LearnedAddressesOpenOnlyTheMatchingRulesPortsAndProtocol) {
    EgressDecider decider(policy({"api.example.com:443", "api.example.com:8443",
                                  "*.example.com:5353/udp", "other.test"}),
                          {});
    EXPECT_FALSE(decider.allows(tcp("192.0.2.10", 443), t0));
    EXPECT_EQ(decider.learn("api.example.com", ip("192.0.2.10"), seconds(300), t0), std::nullopt);
    EXPECT_EQ(decider.learned_count(), 1u);
    EXPECT_TRUE(decider.allows(tcp("192.0.2.10", 443), t0));
    EXPECT_TRUE(decider.allows(tcp("192.0.2.10", 8443), t0));
    // The *.example.com rule covers api.example.com too: its UDP port.
    EXPECT_TRUE(decider.allows(udp("192.0.2.10", 5353), t0));
    EXPECT_FALSE(decider.allows(tcp("192.0.2.10", 80), t0));
    EXPECT_FALSE(decider.allows(udp("192.0.2.10", 443), t0));
    EXPECT_FALSE(decider.allows(tcp("192.0.2.10", 5353), t0));
    // other.test's any-port rule is not the rule that taught this address.
    EXPECT_FALSE(decider.allows(tcp("192.0.2.10", 22), t0));
    // Another address stays closed.
    EXPECT_FALSE(decider.allows(tcp("192.0.2.11", 443), t0));
}

TEST(EgressDecider, LearnedAnyPortRuleStillExcludesDnsPorts) {
    EgressDecider decider(policy({"files.test"}), {});
    ASSERT_EQ(decider.learn("files.test", ip("192.0.2.20"), seconds(60), t0), std::nullopt);
    EXPECT_TRUE(decider.allows(tcp("192.0.2.20", 80), t0));
    EXPECT_FALSE(decider.allows(tcp("192.0.2.20", 53), t0));
    EXPECT_FALSE(decider.allows(tcp("192.0.2.20", 853), t0));
    EXPECT_FALSE(decider.allows(udp("192.0.2.20", 80), t0));
}

TEST(EgressDecider, SubdomainRulesLearnSubdomainsNotTheApex) {
    EgressDecider decider(policy({"*.pkg.test:443"}), {});
    ASSERT_EQ(decider.learn("cdn.pkg.test", ip("192.0.2.30"), seconds(60), t0), std::nullopt);
    EXPECT_TRUE(decider.allows(tcp("192.0.2.30", 443), t0));
    // The apex matches no rule: its answer opens nothing.
    (void)decider.learn("pkg.test", ip("192.0.2.31"), seconds(60), t0);
    EXPECT_FALSE(decider.allows(tcp("192.0.2.31", 443), t0));
    (void)decider.learn("evilpkg.test", ip("192.0.2.32"), seconds(60), t0);
    EXPECT_FALSE(decider.allows(tcp("192.0.2.32", 443), t0));
}

TEST(EgressDecider, LearnedAddressesExpireAfterTheirTtl) {
    EgressDecider decider(policy({"api.test:443"}), {});
    ASSERT_EQ(decider.learn("api.test", ip("192.0.2.40"), seconds(120), t0), std::nullopt);
    EXPECT_TRUE(decider.allows(tcp("192.0.2.40", 443), t0 + seconds(119)));
    EXPECT_FALSE(decider.allows(tcp("192.0.2.40", 443), t0 + seconds(120)));
    EXPECT_FALSE(decider.allows(tcp("192.0.2.40", 443), t0 + seconds(10000)));

    // A later answer extends the grant; a shorter one never shortens it.
    ASSERT_EQ(decider.learn("api.test", ip("192.0.2.40"), seconds(600), t0 + seconds(200)),
              std::nullopt);
    ASSERT_EQ(decider.learn("api.test", ip("192.0.2.40"), seconds(30), t0 + seconds(201)),
              std::nullopt);
    EXPECT_TRUE(decider.allows(tcp("192.0.2.40", 443), t0 + seconds(799)));
    EXPECT_FALSE(decider.allows(tcp("192.0.2.40", 443), t0 + seconds(800)));
}

TEST(EgressDecider, TtlHasAFloorAndACeiling) {
    EgressDecider decider(policy({"api.test:443"}), {});
    ASSERT_EQ(decider.learn("api.test", ip("192.0.2.41"), seconds(0), t0), std::nullopt);
    EXPECT_TRUE(decider.allows(tcp("192.0.2.41", 443), t0 + learned_ttl_floor - seconds(1)));
    EXPECT_FALSE(decider.allows(tcp("192.0.2.41", 443), t0 + learned_ttl_floor));
    EXPECT_EQ(learned_ttl_floor, seconds(30));

    ASSERT_EQ(decider.learn("api.test", ip("192.0.2.42"), seconds(-5), t0), std::nullopt);
    EXPECT_TRUE(decider.allows(tcp("192.0.2.42", 443), t0 + seconds(29)));

    // A TTL of 2^32-1 seconds (136 years) lasts a day.
    ASSERT_EQ(decider.learn("api.test", ip("192.0.2.43"), seconds(4294967295), t0), std::nullopt);
    EXPECT_TRUE(decider.allows(tcp("192.0.2.43", 443), t0 + learned_ttl_ceiling - seconds(1)));
    EXPECT_FALSE(decider.allows(tcp("192.0.2.43", 443), t0 + learned_ttl_ceiling));
    EXPECT_EQ(learned_ttl_ceiling, seconds(24 * 3600));
}

// DNS rebinding: an allowed name's answer never opens these, whatever the rules.
TEST(EgressDecider, AnswersNeverOpenLocalPrivateOrHostAddresses) {
    IpAddress const host = ip("198.51.100.99");
    EgressDecider decider(policy({"*.rebind.test", "rebind.test"}), {host, ip("2001:db8::99")});
    struct Case {
        char const* address;
        char const* why;
    };
    for (auto const& [address, why] : std::vector<Case>{
             {"127.0.0.1", "loopback"},
             {"127.255.255.254", "loopback"},
             {"10.0.2.2", "the VM's own network (10.0.2.2 is the host's loopback)"},
             {"10.0.2.3", "the VM's own network (10.0.2.2 is the host's loopback)"},
             {"10.0.2.15", "the VM's own network (10.0.2.2 is the host's loopback)"},
             {"169.254.169.254", "link-local (cloud metadata)"},
             {"169.254.0.1", "link-local (cloud metadata)"},
             {"10.1.2.3", "private"},
             {"10.255.255.255", "private"},
             {"172.16.0.1", "private"},
             {"172.31.255.255", "private"},
             {"192.168.1.1", "private"},
             {"100.64.0.1", "shared address space (carrier-grade NAT)"},
             {"100.127.255.255", "shared address space (carrier-grade NAT)"},
             {"224.0.0.251", "multicast"},
             {"239.255.255.250", "multicast"},
             {"0.0.0.0", "unspecified"},
             {"255.255.255.255", "reserved"},
             {"240.0.0.1", "reserved"},
             {"198.51.100.99", "an address of the host itself"},
             {"::1", "loopback"},
             {"::", "unspecified"},
             {"fe80::1", "link-local"},
             {"fd00::1", "unique local"},
             {"ff02::1", "multicast"},
             {"::ffff:127.0.0.1", "IPv4-mapped"},
             {"::ffff:169.254.169.254", "IPv4-mapped"},
             {"2001:db8::99", "an address of the host itself"},
             {"100.100.100.200", "cloud metadata"},
             {"fd00:ec2::254", "cloud metadata"},
         }) {
        EXPECT_EQ(decider.answer_refusal(ip(address)), std::optional<std::string>(why)) << address;
        EXPECT_EQ(decider.learn("a.rebind.test", ip(address), seconds(300), t0),
                  std::optional<std::string>(why))
            << address;
        EXPECT_FALSE(decider.allows(tcp(address, 80), t0)) << address;
        EXPECT_FALSE(decider.allows(udp(address, 80), t0)) << address;
    }
    EXPECT_EQ(decider.learned_count(), 0u);
}

TEST(EgressDecider, AnswersOpenPublicAddresses) {
    EgressDecider decider(policy({"*.rebind.test"}), {ip("198.51.100.99")});
    for (char const* address :
         {"192.0.2.1", "172.15.255.255", "172.32.0.0", "100.63.255.255", "100.128.0.0",
          "169.253.255.255", "198.51.100.98", "11.0.0.1", "2001:db8::1"}) {
        EXPECT_EQ(decider.answer_refusal(ip(address)), std::nullopt) << address;
    }
}

TEST(EgressDecider, BroadRulesDoNotOpenProtectedRanges) {
    IpAddress const host = ip("198.51.100.99");
    EgressDecider const decider(policy({"0.0.0.0/0", "0.0.0.0/0/udp", "10.0.0.0/8"}), {host});
    EXPECT_TRUE(decider.allows(tcp("192.0.2.7", 443), t0));
    // Private ranges are protected from names only: a rule that names them opens them.
    EXPECT_TRUE(decider.allows(tcp("10.1.2.3", 22), t0));
    EXPECT_TRUE(decider.allows(tcp("192.168.1.1", 80), t0));
    for (char const* address :
         {"10.0.2.2", "10.0.2.3", "127.0.0.1", "127.1.2.3", "169.254.169.254", "169.254.1.1",
          "100.100.100.200", "224.0.0.1", "0.0.0.0", "255.255.255.255", "198.51.100.99"}) {
        EXPECT_FALSE(decider.allows(tcp(address, 80), t0)) << address;
        EXPECT_FALSE(decider.allows(udp(address, 80), t0)) << address;
    }
    // 10.0.0.0/8 is broader than the VM's network: it does not open the gateway either.
    EXPECT_FALSE(decider.opens_gateway());
    // A covering rule for a neighbour of the host's own address opens the neighbour only.
    EgressDecider const neighbour(policy({"198.51.100.0/24"}), {host});
    EXPECT_TRUE(neighbour.allows(tcp("198.51.100.98", 80), t0));
    EXPECT_FALSE(neighbour.allows(tcp("198.51.100.99", 80), t0));
}

TEST(EgressDecider, ExplicitRulesOpenWhatTheyName) {
    IpAddress const host = ip("198.51.100.99");
    EgressDecider const decider(policy({"10.0.2.2:8080", "169.254.169.254", "127.0.0.0/8:9000",
                                        "198.51.100.99:22", "224.0.0.251:5353/udp"}),
                                {host});
    EXPECT_TRUE(decider.allows(tcp("10.0.2.2", 8080), t0));
    EXPECT_FALSE(decider.allows(tcp("10.0.2.2", 8081), t0));
    EXPECT_FALSE(decider.allows(udp("10.0.2.2", 8080), t0));
    EXPECT_FALSE(decider.allows(tcp("10.0.2.3", 8080), t0));
    EXPECT_TRUE(decider.allows(tcp("169.254.169.254", 80), t0));
    EXPECT_FALSE(decider.allows(tcp("169.254.169.253", 80), t0));
    EXPECT_TRUE(decider.allows(tcp("127.0.0.1", 9000), t0));
    EXPECT_TRUE(decider.allows(tcp("127.3.2.1", 9000), t0));
    EXPECT_FALSE(decider.allows(tcp("127.0.0.1", 9001), t0));
    EXPECT_TRUE(decider.allows(tcp("198.51.100.99", 22), t0));
    EXPECT_FALSE(decider.allows(tcp("198.51.100.99", 23), t0));
    EXPECT_TRUE(decider.allows(udp("224.0.0.251", 5353), t0));
    EXPECT_TRUE(decider.opens_gateway());
}

TEST(EgressDecider, RulesNamingAWholeProtectedRangeOpenIt) {
    EgressDecider const decider(policy({"10.0.2.0/24:80", "169.254.0.0/16:80"}), {});
    EXPECT_TRUE(decider.allows(tcp("10.0.2.2", 80), t0));
    EXPECT_TRUE(decider.allows(tcp("169.254.169.254", 80), t0));
    EXPECT_TRUE(decider.opens_gateway());
    // ...but not a wider one around it.
    EgressDecider const wider(policy({"10.0.0.0/16:80", "169.254.0.0/15:80"}), {});
    EXPECT_FALSE(wider.allows(tcp("10.0.2.2", 80), t0));
    EXPECT_FALSE(wider.allows(tcp("169.254.169.254", 80), t0));
    EXPECT_TRUE(wider.allows(tcp("10.0.3.1", 80), t0));
    EXPECT_FALSE(wider.opens_gateway());
}

TEST(EgressDecider, GatewayOpensOnlyThroughAnIpRuleNamingIt) {
    EXPECT_FALSE(EgressDecider(policy({"example.com", "0.0.0.0/0"}), {}).opens_gateway());
    EXPECT_FALSE(EgressDecider(policy({"10.0.2.3"}), {}).opens_gateway());
    EXPECT_TRUE(EgressDecider(policy({"10.0.2.2:8080"}), {}).opens_gateway());
    EXPECT_TRUE(EgressDecider(policy({"10.0.2.2/udp"}), {}).opens_gateway());
}

TEST(EgressDecider, NamesCannotOpenWhatOnlyAnIpRuleMay) {
    // A name rule and a broad IP rule together: the name's answer of 127.0.0.1 stays closed.
    EgressDecider decider(policy({"local.test", "0.0.0.0/0"}), {});
    EXPECT_EQ(decider.learn("local.test", ip("127.0.0.1"), seconds(300), t0), "loopback");
    EXPECT_FALSE(decider.allows(tcp("127.0.0.1", 80), t0));
    EXPECT_EQ(decider.learn("local.test", ip("169.254.169.254"), seconds(300), t0),
              "link-local (cloud metadata)");
    EXPECT_FALSE(decider.allows(tcp("169.254.169.254", 80), t0));
}

TEST(EgressDecider, LearnedTableStaysBounded) {
    EgressDecider decider(policy({"*.many.test:443"}), {});
    std::size_t const total = max_learned_addresses + 100;
    for (std::size_t i = 0; i < total; ++i) {
        // 11.x.y.z: public, distinct, and each learned a second later than the one before, so
        // the earliest expire first (none has expired by the end).
        auto const address = IpAddress::v4(0x0b000000u + static_cast<std::uint32_t>(i));
        ASSERT_EQ(decider.learn("h.many.test", address, learned_ttl_ceiling, t0 + seconds(i)),
                  std::nullopt);
        ASSERT_LE(decider.learned_count(), max_learned_addresses);
    }
    EXPECT_EQ(decider.learned_count(), max_learned_addresses);
    Clock::time_point const now = t0 + seconds(total);
    // The newest are kept, the oldest made room.
    EXPECT_TRUE(decider.allows({IpAddress::v4(0x0b000000u + total - 1), 443, Protocol::tcp}, now));
    EXPECT_FALSE(decider.allows({IpAddress::v4(0x0b000000u), 443, Protocol::tcp}, now));
    EXPECT_FALSE(decider.allows({IpAddress::v4(0x0b000000u + 99), 443, Protocol::tcp}, now));
    EXPECT_TRUE(decider.allows({IpAddress::v4(0x0b000000u + 100), 443, Protocol::tcp}, now));
}

TEST(EgressDecider, ExpiredEntriesMakeRoomFirst) {
    EgressDecider decider(policy({"*.many.test:443"}), {});
    for (std::uint32_t i = 0; i < 10; ++i) {
        ASSERT_EQ(decider.learn("h.many.test", IpAddress::v4(0x0b000000u + i), seconds(30), t0),
                  std::nullopt);
    }
    EXPECT_EQ(decider.learned_count(), 10u);
    ASSERT_EQ(decider.learn("h.many.test", ip("11.1.0.0"), seconds(30), t0 + seconds(31)),
              std::nullopt);
    EXPECT_EQ(decider.learned_count(), 1u);
}

TEST(EgressDecider, HostAddressesCanBeReplaced) {
    EgressDecider decider(policy({"0.0.0.0/0", "*.rebind.test"}), {ip("198.51.100.99")});
    EXPECT_FALSE(decider.allows(tcp("198.51.100.99", 80), t0));
    EXPECT_TRUE(decider.allows(tcp("198.51.100.100", 80), t0));
    decider.set_host_addresses({ip("198.51.100.100")});
    EXPECT_TRUE(decider.allows(tcp("198.51.100.99", 80), t0));
    EXPECT_FALSE(decider.allows(tcp("198.51.100.100", 80), t0));
    EXPECT_EQ(decider.answer_refusal(ip("198.51.100.99")), std::nullopt);
    EXPECT_EQ(decider.answer_refusal(ip("198.51.100.100")), "an address of the host itself");
    // The fixed ranges stay protected.
    EXPECT_FALSE(decider.allows(tcp("127.0.0.1", 80), t0));
    EXPECT_FALSE(decider.allows(tcp("169.254.169.254", 80), t0));
    decider.set_host_addresses({});
    EXPECT_TRUE(decider.allows(tcp("198.51.100.100", 80), t0));
    EXPECT_FALSE(decider.allows(tcp("10.0.2.2", 80), t0));
}

TEST(EgressDecider, CloudMetadataOutsideLinkLocalOpensOnlyByName) {
    EgressDecider const broad(policy({"100.64.0.0/10"}), {});
    EXPECT_TRUE(broad.allows(tcp("100.100.100.199", 80), t0));
    EXPECT_FALSE(broad.allows(tcp("100.100.100.200", 80), t0));
    EgressDecider const exact(policy({"100.100.100.200:80"}), {});
    EXPECT_TRUE(exact.allows(tcp("100.100.100.200", 80), t0));
}

TEST(EgressDecider, PolicyIsKept) {
    EgressPolicy const rules = policy({"example.com:443"});
    EgressDecider const decider(rules, {});
    EXPECT_EQ(decider.policy(), rules);
}

} // namespace
} // namespace microvm::runner::net
