// The egress rule grammar (include/microvm/egress.hpp), validate(EgressPolicy) and the policy's
// JSON (contract/egress_json.hpp).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <microvm/egress.hpp>

#include "contract/egress_json.hpp"

namespace microvm {
namespace {

std::string canonical(std::string_view text) {
    auto rule = parse_egress_rule(text);
    return rule ? rule->to_string() : "error: " + rule.error().text();
}

std::string error_of(std::string_view text) {
    auto rule = parse_egress_rule(text);
    return rule ? "parsed as " + rule->to_string() : rule.error().text();
}

EgressRule rule_of(std::string_view text) {
    auto rule = parse_egress_rule(text);
    EXPECT_TRUE(rule) << text << ": " << rule.error().text();
    return rule ? *rule : EgressRule{};
}

TEST(EgressRules, EveryFormHasItsCanonicalText) {
    EXPECT_EQ(canonical("example.com"), "example.com/tcp");
    EXPECT_EQ(canonical("Example.COM."), "example.com/tcp");
    EXPECT_EQ(canonical("*.Example.com"), "*.example.com/tcp");
    EXPECT_EQ(canonical("*.example.com."), "*.example.com/tcp");
    EXPECT_EQ(canonical("_dmarc.example.com"), "_dmarc.example.com/tcp");
    EXPECT_EQ(canonical("192.0.2.7"), "192.0.2.7/tcp");
    EXPECT_EQ(canonical("192.0.2.7/32"), "192.0.2.7/tcp");
    EXPECT_EQ(canonical("10.1.0.0/16"), "10.1.0.0/16/tcp");
    EXPECT_EQ(canonical("0.0.0.0/0"), "0.0.0.0/0/tcp");
    EXPECT_EQ(canonical("10.1.0.0/016"), "10.1.0.0/16/tcp");
    EXPECT_EQ(canonical("[2001:DB8::1]"), "[2001:db8::1]/tcp");
    EXPECT_EQ(canonical("[2001:db8::]/32"), "[2001:db8::]/32/tcp");
    EXPECT_EQ(canonical("[2001:db8::]/32:443"), "[2001:db8::]/32:443/tcp");
    EXPECT_EQ(canonical("[::1]:53/udp"), "[::1]:53/udp");
    EXPECT_EQ(canonical("example.com:443"), "example.com:443/tcp");
    EXPECT_EQ(canonical("example.com:8000-8080"), "example.com:8000-8080/tcp");
    EXPECT_EQ(canonical("example.com:80-80"), "example.com:80/tcp");
    EXPECT_EQ(canonical("example.com:1-65535"), "example.com/tcp");
    EXPECT_EQ(canonical("example.com/udp"), "example.com/udp");
    EXPECT_EQ(canonical("example.com:53/udp"), "example.com:53/udp");
    EXPECT_EQ(canonical("*.example.com:443/tcp"), "*.example.com:443/tcp");
    EXPECT_EQ(canonical("10.1.0.0/16:53/udp"), "10.1.0.0/16:53/udp");
    EXPECT_EQ(canonical("10.1.0.0/16/udp"), "10.1.0.0/16/udp");
    EXPECT_EQ(canonical("192.0.2.7:22"), "192.0.2.7:22/tcp");
}

TEST(EgressRules, FieldsOfEachForm) {
    EgressRule const name = rule_of("Example.COM.:443");
    EXPECT_EQ(name.target, EgressRule::Target::name);
    EXPECT_EQ(name.domain, "example.com");
    EXPECT_EQ(name.port_low, 443);
    EXPECT_EQ(name.port_high, 443);
    EXPECT_EQ(name.protocol, Protocol::tcp);
    EXPECT_FALSE(name.any_port());

    EgressRule const subdomains = rule_of("*.pkg.test:1000-2000/udp");
    EXPECT_EQ(subdomains.target, EgressRule::Target::subdomains);
    EXPECT_EQ(subdomains.domain, "pkg.test");
    EXPECT_EQ(subdomains.port_low, 1000);
    EXPECT_EQ(subdomains.port_high, 2000);
    EXPECT_EQ(subdomains.protocol, Protocol::udp);
    EXPECT_TRUE(subdomains.allows_port(1000));
    EXPECT_TRUE(subdomains.allows_port(2000));
    EXPECT_FALSE(subdomains.allows_port(999));
    EXPECT_FALSE(subdomains.allows_port(2001));

    // Default: any port, TCP.
    EgressRule const prefix = rule_of("10.1.0.0/16");
    EXPECT_EQ(prefix.target, EgressRule::Target::prefix);
    EXPECT_EQ(prefix.prefix.address, IpAddress::v4(0x0a010000));
    EXPECT_EQ(prefix.prefix.length, 16u);
    EXPECT_TRUE(prefix.any_port());
    EXPECT_EQ(prefix.protocol, Protocol::tcp);
    EXPECT_TRUE(prefix.allows_port(1));
    EXPECT_TRUE(prefix.allows_port(65535));

    EgressRule const host = rule_of("192.0.2.7");
    EXPECT_EQ(host.prefix.length, 32u);
    EgressRule const v6 = rule_of("[2001:db8::1]");
    EXPECT_TRUE(v6.prefix.address.v6);
    EXPECT_EQ(v6.prefix.length, 128u);
}

TEST(EgressRules, CanonicalTextParsesBackToAnEqualRule) {
    for (char const* text :
         {"example.com", "*.a.b.example.com:1-2/udp", "192.0.2.7:443", "10.0.0.0/8/udp",
          "[2001:db8::]/32:53/udp", "[::ffff:192.0.2.1]", "x-y_z.test:65535"}) {
        EgressRule const rule = rule_of(text);
        auto again = parse_egress_rule(rule.to_string());
        ASSERT_TRUE(again) << rule.to_string() << ": " << again.error().text();
        EXPECT_EQ(*again, rule) << text;
    }
}

TEST(EgressRules, BadRulesSayWhatIsWrong) {
    EXPECT_EQ(error_of("*."), "egress rule \"*.\": no domain after \"*.\"");
    EXPECT_EQ(error_of("300.1.1.1"),
              "egress rule \"300.1.1.1\": \"300.1.1.1\" is not an IPv4 address");
    EXPECT_EQ(error_of("2001:db8::1:443"),
              "egress rule \"2001:db8::1:443\": write an IPv6 address in brackets: [ADDRESS], "
              "[ADDRESS]:PORT");
    EXPECT_EQ(error_of("x.test:0"),
              "egress rule \"x.test:0\": port 0 is not a port; name 1..65535");
    EXPECT_EQ(error_of("a..b"), "egress rule \"a..b\": empty label in \"a..b\"");
    EXPECT_EQ(error_of(""), "egress rule \"\": empty rule");
    EXPECT_EQ(error_of("10.1.2.3/16"),
              "egress rule \"10.1.2.3/16\": \"10.1.2.3/16\" has bits set beyond its prefix "
              "length; did you mean 10.1.0.0/16?");
    EXPECT_EQ(error_of("*a.test"),
              "egress rule \"*a.test\": '*' is allowed only as a whole first label "
              "(\"*.example.com\")");
    EXPECT_EQ(error_of("a.*.test"),
              "egress rule \"a.*.test\": '*' is allowed only as a whole first label "
              "(\"*.example.com\")");
    EXPECT_EQ(error_of("x.test:90-80"),
              "egress rule \"x.test:90-80\": port range \"90-80\" ends before it starts");
    EXPECT_EQ(error_of("-a.test"),
              "egress rule \"-a.test\": a label of \"-a.test\" starts or ends with '-'");
    EXPECT_EQ(error_of("a-.test"),
              "egress rule \"a-.test\": a label of \"a-.test\" starts or ends with '-'");
    std::string const long_label = std::string(64, 'a') + ".test";
    EXPECT_EQ(error_of(long_label), "egress rule \"" + long_label + "\": a label of \"" +
                                        long_label + "\" is longer than 63 bytes");
    EXPECT_TRUE(parse_egress_rule(std::string(63, 'a') + ".test"));
    std::string long_name;
    while (long_name.size() < 254) {
        long_name += "abcdefgh.";
    }
    long_name += "test";
    EXPECT_EQ(error_of(long_name),
              "egress rule \"" + long_name + "\": a domain name is at most 253 bytes");
    EXPECT_EQ(error_of("x.test:65536"),
              "egress rule \"x.test:65536\": port \"65536\" is not a number in 0..65535");
    EXPECT_EQ(error_of("x.test:"),
              "egress rule \"x.test:\": port \"\" is not a number in 0..65535");
    EXPECT_EQ(error_of(":80"),
              "egress rule \":80\": no destination (a name or an address) before the port");
    EXPECT_EQ(error_of("10.0.0.0/33"),
              "egress rule \"10.0.0.0/33\": prefix length \"33\" is not a number in 0..32");
    EXPECT_EQ(error_of("x.test/sctp"), "egress rule \"x.test/sctp\": unknown protocol \"sctp\" "
                                       "(expected one of tcp, udp)");
    EXPECT_EQ(error_of("1.2.3"), "egress rule \"1.2.3\": \"1.2.3\" is not an IPv4 address");
    EXPECT_EQ(error_of("ex ample.com"),
              "egress rule \"ex ample.com\": \"ex ample.com\" has ' ', which is not allowed in a "
              "domain name");
    EXPECT_EQ(error_of("2001:db8::1"), "egress rule \"2001:db8::1\": write an IPv6 address in "
                                       "brackets: [ADDRESS], [ADDRESS]:PORT");
    EXPECT_EQ(error_of("[192.0.2.1]"),
              "egress rule \"[192.0.2.1]\": \"192.0.2.1\" is not an IPv6 address");
    EXPECT_EQ(error_of("[::1"), "egress rule \"[::1\": \"[:\" has '[' without ']'");
    EXPECT_EQ(error_of("[::1]x"), "egress rule \"[::1]x\": unexpected \"x\" after \"[::1]\"");
    EXPECT_EQ(error_of("*.1.2"), "egress rule \"*.1.2\": \"1.2\" is not an IPv4 address");
}

TEST(EgressRules, PolicyFileTextSkipsCommentsAndBlankLines) {
    auto rules = parse_egress_rules("# the package index\n"
                                    "\n"
                                    "  pypi.org:443   # comments end a line\n"
                                    "\t*.files.test\r\n"
                                    "   \n"
                                    "10.1.0.0/16:53/udp\n"
                                    "# the end");
    ASSERT_TRUE(rules) << rules.error().text();
    ASSERT_EQ(rules->size(), 3u);
    EXPECT_EQ((*rules)[0].to_string(), "pypi.org:443/tcp");
    EXPECT_EQ((*rules)[1].to_string(), "*.files.test/tcp");
    EXPECT_EQ((*rules)[2].to_string(), "10.1.0.0/16:53/udp");

    auto empty = parse_egress_rules("# nothing\n\n");
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->empty());
    auto nothing = parse_egress_rules("");
    ASSERT_TRUE(nothing);
    EXPECT_TRUE(nothing->empty());
}

TEST(EgressRules, PolicyFileErrorsNameTheLine) {
    auto rules = parse_egress_rules("ok.test\n# comment\n  a..b  # bad\nok2.test\n");
    ASSERT_FALSE(rules);
    EXPECT_EQ(rules.error().text(), "line 3: egress rule \"a..b\": empty label in \"a..b\"");
    auto first = parse_egress_rules("*.\n");
    ASSERT_FALSE(first);
    EXPECT_EQ(first.error().text(), "line 1: egress rule \"*.\": no domain after \"*.\"");
}

TEST(EgressRules, SubdomainRulesMatchBelowTheNameOnly) {
    EgressRule const wildcard = rule_of("*.example.com");
    EXPECT_TRUE(wildcard.matches_name("a.example.com"));
    EXPECT_TRUE(wildcard.matches_name("a.b.example.com"));
    EXPECT_FALSE(wildcard.matches_name("example.com"));
    EXPECT_FALSE(wildcard.matches_name("evilexample.com"));
    EXPECT_FALSE(wildcard.matches_name(".example.com"));
    EXPECT_FALSE(wildcard.matches_name("example.com.evil.test"));
    EXPECT_FALSE(wildcard.matches_name("a.example.co"));
    EXPECT_FALSE(wildcard.matches_name(""));

    EgressRule const exact = rule_of("example.com");
    EXPECT_TRUE(exact.matches_name("example.com"));
    EXPECT_FALSE(exact.matches_name("a.example.com"));
    EXPECT_FALSE(exact.matches_name("evilexample.com"));

    EXPECT_FALSE(rule_of("192.0.2.7").matches_name("192.0.2.7"));
}

// ldns writes a '.' inside a label as "\.": "evil\.example.com" is the two labels "evil.example"
// and "com", a name under com, not under example.com (dns_messages.hpp: escaped names match no
// rule).
TEST(EgressRules, EscapedNamesMatchNoRule) {
    EXPECT_FALSE(rule_of("*.example.com").matches_name("evil\\.example.com"));
    EXPECT_FALSE(rule_of("*.example.com").matches_name("a.b\\.example.com"));
    EXPECT_FALSE(rule_of("*.example.com").matches_name("a\\\\.example.com"));
}

TEST(EgressRules, PrefixesContainAddressesAndPrefixes) {
    IpPrefix const net = rule_of("10.1.0.0/16").prefix;
    EXPECT_TRUE(net.contains(IpAddress::v4(0x0a01ffff)));
    EXPECT_FALSE(net.contains(IpAddress::v4(0x0a020000)));
    EXPECT_TRUE(net.contains(rule_of("10.1.2.0/24").prefix));
    EXPECT_FALSE(net.contains(rule_of("10.0.0.0/8").prefix));
    EXPECT_TRUE(rule_of("0.0.0.0/0").prefix.contains(net));
    // IPv4 and IPv6 never contain each other, even ::/0 and an IPv4 address.
    EXPECT_FALSE(rule_of("[::]/0").prefix.contains(IpAddress::v4(0x0a010203)));
    EXPECT_FALSE(rule_of("0.0.0.0/0").prefix.contains(rule_of("[::1]").prefix.address));
    EXPECT_EQ(net.to_string(), "10.1.0.0/16");
    EXPECT_EQ(rule_of("192.0.2.7").prefix.to_string(), "192.0.2.7");
    EXPECT_EQ(rule_of("[2001:db8::]/32").prefix.to_string(), "[2001:db8::]/32");
}

TEST(EgressRules, IpAddresses) {
    auto address = parse_ip_address("192.0.2.7");
    ASSERT_TRUE(address);
    EXPECT_EQ(*address, IpAddress::v4(0xc0000207));
    EXPECT_EQ(address->size(), 4u);
    EXPECT_EQ(address->to_string(), "192.0.2.7");
    auto v6 = parse_ip_address("2001:DB8::1");
    ASSERT_TRUE(v6);
    EXPECT_TRUE(v6->v6);
    EXPECT_EQ(v6->size(), 16u);
    EXPECT_EQ(v6->to_string(), "2001:db8::1");
    EXPECT_EQ(parse_ip_address("resolver").error().text(), "\"resolver\" is not an IPv4 address");
    EXPECT_EQ(parse_ip_address("fe80::1%eth0").error().text(),
              "\"fe80::1%eth0\" is not an IPv6 address");
}

TEST(EgressRules, ValidateRefusesIpv6PrefixesAndResolversThatAreNotAddresses) {
    EgressPolicy policy{.allow = {rule_of("example.com"), rule_of("10.0.0.0/8")},
                        .dns = {"192.0.2.53", "2001:db8::53"}};
    EXPECT_TRUE(validate(policy));
    EXPECT_TRUE(validate(EgressPolicy{}));

    EgressPolicy v6 = policy;
    v6.allow.push_back(rule_of("[2001:db8::]/32"));
    auto refused = validate(v6);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().text(), "allow[2]: \"[2001:db8::]/32/tcp\": IPv6 destinations are "
                                      "not supported yet; the guest has no IPv6 network");

    EgressPolicy named = policy;
    named.dns = {"192.0.2.53", "dns.example.com"};
    auto bad_dns = validate(named);
    ASSERT_FALSE(bad_dns);
    EXPECT_EQ(bad_dns.error().text(), "dns[1]: \"dns.example.com\" is not an IPv4 address");

    // A rule built in code must be one the grammar writes: runner.json carries its text.
    EgressPolicy built;
    built.allow.push_back(rule_of("10.0.0.0/8"));
    built.allow[0].port_low = 0;
    auto port_zero = validate(built);
    ASSERT_FALSE(port_zero);
    EXPECT_EQ(port_zero.error().text(), "allow[0]: egress rule \"10.0.0.0/8:0-65535/tcp\": port 0 "
                                        "is not a port; name 1..65535");
    built.allow[0] = rule_of("example.com");
    built.allow[0].domain = "Example.COM";
    auto upper = validate(built);
    ASSERT_FALSE(upper);
    EXPECT_EQ(upper.error().text(),
              "allow[0]: \"Example.COM/tcp\" is not in canonical form (a domain in lower case "
              "without a trailing dot, an IP prefix without host bits)");
}

nlohmann::json reparsed(nlohmann::ordered_json const& value, char const* key) {
    return nlohmann::json{{key, nlohmann::json::parse(value.dump())}};
}

TEST(EgressJson, PolicyRoundTripsAsCanonicalText) {
    EgressPolicy const policy{.allow = {rule_of("Example.COM:443"), rule_of("*.pkg.test"),
                                        rule_of("10.1.0.0/16:53/udp"),
                                        rule_of("192.0.2.7:8000-8080")},
                              .dns = {"192.0.2.53"}};
    nlohmann::ordered_json const json = contract::egress_to_json(policy);
    EXPECT_EQ(json.dump(), R"({"allow":["example.com:443/tcp","*.pkg.test/tcp",)"
                           R"("10.1.0.0/16:53/udp","192.0.2.7:8000-8080/tcp"],)"
                           R"("dns":["192.0.2.53"]})");
    auto again = contract::read_egress_policy(reparsed(json, "egress"), "egress", "egress");
    ASSERT_TRUE(again) << again.error().text();
    ASSERT_TRUE(*again);
    EXPECT_EQ(**again, policy);
}

TEST(EgressJson, AbsentKeyIsNoPolicyAndAnEmptyListDeniesAll) {
    auto absent = contract::read_egress_policy(nlohmann::json::object(), "egress", "egress");
    ASSERT_TRUE(absent);
    EXPECT_FALSE(*absent);

    nlohmann::ordered_json const json = contract::egress_to_json(EgressPolicy{});
    EXPECT_EQ(json.dump(), R"({"allow":[]})");
    auto empty = contract::read_egress_policy(reparsed(json, "egress"), "egress", "egress");
    ASSERT_TRUE(empty) << empty.error().text();
    ASSERT_TRUE(*empty);
    EXPECT_TRUE((*empty)->allow.empty());
    EXPECT_TRUE((*empty)->dns.empty());
}

TEST(EgressJson, BadPoliciesNameTheField) {
    auto read = [](std::string const& text) {
        auto policy = contract::read_egress_policy(nlohmann::json::parse(text), "egress", "egress");
        return policy ? std::string("accepted") : policy.error().text();
    };
    EXPECT_EQ(read(R"({"egress":{"allow":["ok.test","x.test:0"]}})"),
              "egress.allow[1]: egress rule \"x.test:0\": port 0 is not a port; name 1..65535");
    EXPECT_EQ(read(R"({"egress":{"allow":["[::1]"]}})"),
              "egress: allow[0]: \"[::1]/tcp\": IPv6 destinations are not supported yet; the "
              "guest has no IPv6 network");
    EXPECT_EQ(read(R"({"egress":{"dns":["resolver"]}})"),
              "egress: dns[0]: \"resolver\" is not an IPv4 address");
    EXPECT_NE(read(R"({"egress":[]})"), "accepted");
    EXPECT_NE(read(R"({"egress":{"allow":[7]}})"), "accepted");
}

TEST(EgressJson, CountersRoundTrip) {
    EgressCounters const counters{.tcp_allowed = 1,
                                  .tcp_denied = 2,
                                  .udp_allowed = 3,
                                  .udp_denied = 4,
                                  .dns_allowed = 5,
                                  .dns_denied = 18446744073709551615u};
    nlohmann::ordered_json const json = contract::egress_counters_to_json(counters);
    EXPECT_EQ(json.dump(), R"({"tcp_allowed":1,"tcp_denied":2,"udp_allowed":3,"udp_denied":4,)"
                           R"("dns_allowed":5,"dns_denied":18446744073709551615})");
    auto again = contract::read_egress_counters(reparsed(json, "egress"), "egress", "egress");
    ASSERT_TRUE(again) << again.error().text();
    ASSERT_TRUE(*again);
    EXPECT_EQ(**again, counters);

    EXPECT_EQ(contract::egress_counters_to_json(EgressCounters{}).dump(),
              R"({"tcp_allowed":0,"tcp_denied":0,"udp_allowed":0,"udp_denied":0,)"
              R"("dns_allowed":0,"dns_denied":0})");
    auto absent = contract::read_egress_counters(nlohmann::json::object(), "egress", "egress");
    ASSERT_TRUE(absent);
    EXPECT_FALSE(*absent);
    auto bad = contract::read_egress_counters(nlohmann::json::parse(R"({"c":{"tcp_denied":-1}})"),
                                              "c", "counters");
    EXPECT_FALSE(bad);
}

} // namespace
} // namespace microvm
