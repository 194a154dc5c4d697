#include "runner/net/egress_decider.hpp"

#include <algorithm>

#include "contract/network.hpp"

namespace microvm::runner::net {

namespace {

struct NamedRange {
    IpPrefix prefix;
    char const* name;
};

IpPrefix prefix_of(char const* text) {
    // The texts below are constants of this file; a typo is a programming error.
    auto rule = parse_egress_rule(text);
    return rule ? rule->prefix : IpPrefix{};
}

// Ranges an IP rule opens only when it lies within them (see the header).
std::vector<NamedRange> const& protected_ranges() {
    static std::vector<NamedRange> const ranges = {
        {prefix_of("0.0.0.0/8"), "unspecified"},
        {prefix_of(contract::user_network.network_cidr),
         "the VM's own network (10.0.2.2 is the host's loopback)"},
        {prefix_of("127.0.0.0/8"), "loopback"},
        {prefix_of("169.254.0.0/16"), "link-local (cloud metadata)"},
        {prefix_of("224.0.0.0/4"), "multicast"},
        {prefix_of("240.0.0.0/4"), "reserved"},
        // Cloud metadata services outside link-local: Alibaba Cloud's, and AWS's IPv6 one.
        {prefix_of("100.100.100.200"), "cloud metadata"},
        {prefix_of("[fd00:ec2::254]"), "cloud metadata"},
        {prefix_of("[::]/128"), "unspecified"},
        {prefix_of("[::1]/128"), "loopback"},
        {prefix_of("[fe80::]/10"), "link-local"},
        {prefix_of("[ff00::]/8"), "multicast"},
        {prefix_of("[::ffff:0.0.0.0]/96"), "IPv4-mapped"},
    };
    return ranges;
}

// Ranges a DNS answer never opens, beyond the protected ones: what lies behind the host rather
// than on the internet.
std::vector<NamedRange> const& private_ranges() {
    static std::vector<NamedRange> const ranges = {
        {prefix_of("10.0.0.0/8"), "private"},
        {prefix_of("172.16.0.0/12"), "private"},
        {prefix_of("192.168.0.0/16"), "private"},
        {prefix_of("100.64.0.0/10"), "shared address space (carrier-grade NAT)"},
        {prefix_of("[fc00::]/7"), "unique local"},
    };
    return ranges;
}

IpPrefix whole(IpAddress const& address) {
    return {address, static_cast<unsigned>(address.size() * 8)};
}

} // namespace

EgressDecider::EgressDecider(EgressPolicy policy, std::vector<IpAddress> host_addresses)
    : m_policy(std::move(policy)) {
    set_host_addresses(std::move(host_addresses));
}

void EgressDecider::set_host_addresses(std::vector<IpAddress> host_addresses) {
    m_protected.clear();
    for (auto const& range : protected_ranges()) {
        m_protected.push_back(range.prefix);
    }
    for (auto const& address : host_addresses) {
        m_protected.push_back(whole(address));
    }
}

bool EgressDecider::name_allowed(std::string_view name) const {
    return std::any_of(m_policy.allow.begin(), m_policy.allow.end(),
                       [&](EgressRule const& rule) { return rule.matches_name(name); });
}

std::optional<std::string> EgressDecider::answer_refusal(IpAddress const& address) const {
    for (auto const* ranges : {&protected_ranges(), &private_ranges()}) {
        for (auto const& range : *ranges) {
            if (range.prefix.contains(address)) {
                return std::string(range.name);
            }
        }
    }
    for (auto const& prefix : m_protected) {
        if (prefix == whole(address)) {
            return std::string("an address of the host itself");
        }
    }
    return std::nullopt;
}

std::optional<std::string> EgressDecider::learn(std::string_view name, IpAddress const& address,
                                                std::chrono::seconds ttl, Clock::time_point now) {
    if (auto refusal = answer_refusal(address)) {
        return refusal;
    }
    ttl = std::clamp(ttl, learned_ttl_floor, learned_ttl_ceiling);
    auto found = m_learned.find(address);
    if (found == m_learned.end()) {
        make_room(now);
        found = m_learned.emplace(address, std::vector<Grant>{}).first;
    }
    auto& grants = found->second;
    for (std::size_t i = 0; i < m_policy.allow.size(); ++i) {
        if (!m_policy.allow[i].matches_name(name)) {
            continue;
        }
        auto same = std::find_if(grants.begin(), grants.end(),
                                 [&](Grant const& grant) { return grant.rule == i; });
        if (same == grants.end()) {
            grants.push_back({.rule = i, .expires = now + ttl});
        } else {
            same->expires = std::max(same->expires, now + ttl);
        }
    }
    return std::nullopt;
}

void EgressDecider::make_room(Clock::time_point now) {
    std::erase_if(m_learned, [&](auto const& entry) {
        return std::all_of(entry.second.begin(), entry.second.end(),
                           [&](Grant const& grant) { return grant.expires <= now; });
    });
    while (m_learned.size() >= max_learned_addresses) {
        auto latest = [](std::vector<Grant> const& grants) {
            Clock::time_point last{};
            for (auto const& grant : grants) {
                last = std::max(last, grant.expires);
            }
            return last;
        };
        auto soonest =
            std::min_element(m_learned.begin(), m_learned.end(), [&](auto const& a, auto const& b) {
                return latest(a.second) < latest(b.second);
            });
        m_learned.erase(soonest);
    }
}

bool EgressDecider::prefix_rule_covers(EgressRule const& rule, IpAddress const& address) const {
    if (!rule.prefix.contains(address)) {
        return false;
    }
    for (auto const& range : m_protected) {
        if (range.contains(address) && !range.contains(rule.prefix)) {
            return false;
        }
    }
    return true;
}

bool EgressDecider::rule_allows(EgressRule const& rule, Destination const& destination) const {
    if (rule.protocol != destination.protocol || !rule.allows_port(destination.port)) {
        return false;
    }
    bool const resolver_port = destination.port == 53 || destination.port == 853;
    return !(resolver_port && rule.any_port());
}

bool EgressDecider::allows(Destination const& destination, Clock::time_point now) const {
    for (auto const& rule : m_policy.allow) {
        if (rule.target == EgressRule::Target::prefix && rule_allows(rule, destination) &&
            prefix_rule_covers(rule, destination.address)) {
            return true;
        }
    }
    auto const found = m_learned.find(destination.address);
    if (found == m_learned.end()) {
        return false;
    }
    return std::any_of(found->second.begin(), found->second.end(), [&](Grant const& grant) {
        return grant.expires > now && rule_allows(m_policy.allow[grant.rule], destination);
    });
}

bool EgressDecider::opens_gateway() const {
    auto const gateway = parse_ip_address(contract::user_network.gateway);
    return gateway &&
           std::any_of(m_policy.allow.begin(), m_policy.allow.end(), [&](EgressRule const& rule) {
               return rule.target == EgressRule::Target::prefix &&
                      prefix_rule_covers(rule, *gateway);
           });
}

} // namespace microvm::runner::net
