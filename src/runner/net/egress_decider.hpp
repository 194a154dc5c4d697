// The egress policy's decision function: may the guest open this destination? The policy's own
// rules, plus the addresses that answers to allowed DNS names taught it, for their TTL.
//
// Some addresses a name must never open, whatever its answer says (DNS rebinding): loopback,
// link-local (the cloud metadata service 169.254.169.254 among them; also Alibaba's
// 100.100.100.200 and AWS's fd00:ec2::254), the private ranges, the
// user-mode network's own addresses (10.0.2.2 is the host's loopback) and every address of the
// host itself. An IP rule opens such an address only when it names it no more broadly than the
// range it lies in: `10.0.2.2:8080` opens the host's port 8080, `0.0.0.0/0` does not.
//
// Ports 53 and 853 (DNS, DNS over TLS) are reached only through a rule that names the port:
// "any port" would otherwise let the guest ask a resolver of its choosing.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <microvm/egress.hpp>

namespace microvm::runner::net {

using Clock = std::chrono::steady_clock;

struct Destination {
    IpAddress address;
    std::uint16_t port = 0;
    Protocol protocol = Protocol::tcp;
};

// A learned address lasts at least this long: a TTL of 0 must still let the guest connect.
inline constexpr std::chrono::seconds learned_ttl_floor{30};
// ...and at most this long, whatever the answer says.
inline constexpr std::chrono::seconds learned_ttl_ceiling{24 * 3600};
// Learned addresses kept at once; past it the one that expires first makes room.
inline constexpr std::size_t max_learned_addresses = 4096;

class EgressDecider {
public:
    // `host_addresses`: the host's own addresses (getifaddrs()), which no answer opens.
    EgressDecider(EgressPolicy policy, std::vector<IpAddress> host_addresses);

    EgressPolicy const& policy() const { return m_policy; }

    // Replaces the host's own addresses (they change while a VM runs).
    void set_host_addresses(std::vector<IpAddress> host_addresses);

    // Whether any rule names `name` (lower case, without the trailing dot).
    bool name_allowed(std::string_view name) const;

    // Why an answer's address may not be opened by a name: "loopback", "link-local", ...;
    // std::nullopt when it may.
    std::optional<std::string> answer_refusal(IpAddress const& address) const;

    // Records that `name` resolved to `address` for `ttl`. Returns answer_refusal() when the
    // address is not learned.
    std::optional<std::string> learn(std::string_view name, IpAddress const& address,
                                     std::chrono::seconds ttl, Clock::time_point now);

    bool allows(Destination const& destination, Clock::time_point now) const;

    // True when a rule names the user-mode network's gateway (the host's loopback), so the
    // network may forward to it at all.
    bool opens_gateway() const;

    std::size_t learned_count() const { return m_learned.size(); }

private:
    struct Grant {
        std::size_t rule = 0;
        Clock::time_point expires;
    };

    bool rule_allows(EgressRule const& rule, Destination const& destination) const;
    bool prefix_rule_covers(EgressRule const& rule, IpAddress const& address) const;
    void make_room(Clock::time_point now);

    EgressPolicy m_policy;
    std::vector<IpPrefix> m_protected;
    std::map<IpAddress, std::vector<Grant>> m_learned;
};

} // namespace microvm::runner::net
