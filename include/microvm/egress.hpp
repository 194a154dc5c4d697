// An egress policy: the destinations a guest may open connections to, enforced outside the
// guest by its runner (docs/SECURITY.md, "Egress policy").
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <microvm/error.hpp>

namespace microvm {

// A transport protocol, for port forwards and egress rules.
enum class Protocol { tcp, udp };

// An IPv4 or IPv6 address. IPv4 uses the first four bytes of `bytes`.
struct IpAddress {
    bool v6 = false;
    std::array<std::uint8_t, 16> bytes{};

    // 4 or 16.
    std::size_t size() const { return v6 ? 16 : 4; }
    // "192.0.2.7", "2001:db8::1".
    std::string to_string() const;

    static IpAddress v4(std::uint32_t host_order);
    friend auto operator<=>(IpAddress const&, IpAddress const&) = default;
};

// Parses dotted-quad IPv4 or IPv6 text (no brackets). Errors quote the text.
Result<IpAddress> parse_ip_address(std::string_view text);

// An address with a prefix length; its host bits are zero.
struct IpPrefix {
    IpAddress address;
    unsigned length = 0;

    bool contains(IpAddress const& address) const;
    // True when every address of `inner` is in this prefix.
    bool contains(IpPrefix const& inner) const;
    // "10.1.0.0/16"; a whole address prints without its length ("192.0.2.7").
    std::string to_string() const;
    friend bool operator==(IpPrefix const&, IpPrefix const&) = default;
};

// One destination the guest may reach (`--egress-allow`). Text form:
//   example.com | *.example.com | 192.0.2.7 | 10.1.0.0/16 | [2001:db8::1] | [2001:db8::]/32
// each optionally followed by :PORT or :LOW-HIGH, then /tcp or /udp (default: any port, tcp).
struct EgressRule {
    enum class Target {
        // Exactly this DNS name.
        name,
        // Every name below this one (`*.example.com`), not the name itself.
        subdomains,
        // Addresses in an IP prefix, reached directly.
        prefix,
    };
    Target target = Target::name;
    // name / subdomains: lower case, without a trailing dot and without the "*.".
    std::string domain;
    // prefix.
    IpPrefix prefix;
    // Inclusive; 1..65535 is any port.
    std::uint16_t port_low = 1;
    std::uint16_t port_high = 65535;
    Protocol protocol = Protocol::tcp;

    bool any_port() const { return port_low == 1 && port_high == 65535; }
    bool allows_port(std::uint16_t port) const { return port >= port_low && port <= port_high; }
    // True when the rule's target covers the DNS name `name` (lower case, no trailing dot).
    bool matches_name(std::string_view name) const;
    // The canonical text, which parse_egress_rule() reads back to an equal rule.
    std::string to_string() const;
    friend bool operator==(EgressRule const&, EgressRule const&) = default;
};

// Parses one rule. Errors say what is wrong: "\"*.\": no domain after \"*.\"",
// "\"300.1.1.1\": not an IPv4 address", "\"a..b\": empty label", "port 0 ...".
Result<EgressRule> parse_egress_rule(std::string_view text);

// Parses a policy file's text: one rule per line; blank lines and text after '#' are ignored.
// Errors name the line: "line 3: ...".
Result<std::vector<EgressRule>> parse_egress_rules(std::string_view text);

// Reads a policy file (parse_egress_rules()); errors name the file and the line. Files larger
// than 1 MiB are refused.
Result<std::vector<EgressRule>> read_egress_rules_file(std::filesystem::path const& path);

// Deny by default, allow what the rules name. An empty list allows nothing (`--no-outbound`).
// Connections the host opens to published ports are not the guest's egress: they keep working.
struct EgressPolicy {
    std::vector<EgressRule> allow;
    // The resolvers that answer the names the policy allows (`--dns`), IP addresses; empty
    // means the host's own (/etc/resolv.conf).
    std::vector<std::string> dns;

    friend bool operator==(EgressPolicy const&, EgressPolicy const&) = default;
};

// What the runner enforcing a policy has let through and refused so far: TCP connections (SYNs),
// UDP datagrams, and DNS queries to microvm's resolver.
struct EgressCounters {
    std::uint64_t tcp_allowed = 0;
    std::uint64_t tcp_denied = 0;
    std::uint64_t udp_allowed = 0;
    std::uint64_t udp_denied = 0;
    std::uint64_t dns_allowed = 0;
    std::uint64_t dns_denied = 0;

    friend bool operator==(EgressCounters const&, EgressCounters const&) = default;
};

// Checks a policy as validate(RunOptions) does: each rule is one parse_egress_rule() would
// make (a rule built in code, too), each upstream resolver is an IP address, and (until the
// guest has an IPv6 network) no rule names an IPv6 prefix.
Result<void> validate(EgressPolicy const& policy);

} // namespace microvm
