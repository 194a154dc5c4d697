// DNS messages as microvm's resolver for a VM under an egress policy handles them, read and
// written with ldns: the guest's query, the error answers it gets for names no rule allows, the
// query sent upstream for names a rule does allow, and the answer relayed back, with the
// addresses the policy learns from it.
#pragma once

// ldns' common.h defines bool, true and false as macros unless <stdbool.h> came first, which in
// C++ only marks them as defined.
// clang-format off
#include <stdbool.h>
#include <ldns/ldns.h>
// clang-format on

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <microvm/egress.hpp>

#include "base/error.hpp"

namespace microvm::runner::net {

struct PacketFree {
    void operator()(ldns_pkt* packet) const { ldns_pkt_free(packet); }
};
using DnsPacket = std::unique_ptr<ldns_pkt, PacketFree>;

// Largest answer sent to the guest in one datagram without EDNS (RFC 1035)...
inline constexpr std::size_t classic_udp_limit = 512;
// ...and with it: what fits an Ethernet frame's IPv4/UDP payload, so no answer is fragmented.
inline constexpr std::size_t max_udp_answer = 1472;

struct DnsQuery {
    DnsPacket packet;
    // The question's name in lower case, without the trailing dot ("" for the root); names
    // with bytes outside letters, digits, '-', '_' and '.' keep ldns' escapes, which no rule
    // matches.
    std::string name;
    ldns_rr_type type = LDNS_RR_TYPE_A;
    // "A", "AAAA", ...: for log lines.
    std::string type_name;
    // The largest answer the guest takes over UDP (its EDNS size, at most max_udp_answer).
    std::size_t reply_limit = classic_udp_limit;
};

// What a message from the guest is: a query to decide about, or a problem answered at once.
struct GuestDnsMessage {
    std::optional<DnsQuery> query;
    // Without a query: the answer to send (FORMERR, NOTIMP or REFUSED), empty when there is
    // nothing to answer (not a DNS message, or a response), and why, for the log.
    std::vector<std::uint8_t> reply;
    std::string problem;
};

// Reads what the guest sent to microvm's resolver. Only a standard query with one question in
// class IN is a query.
GuestDnsMessage read_guest_dns(std::span<std::uint8_t const> message);

// An answer to `query` with no records and `rcode` (NXDOMAIN for a name no rule allows).
std::vector<std::uint8_t> dns_error_reply(DnsQuery const& query, ldns_pkt_rcode rcode);

// The query microvm sends upstream for `query`: the same question, recursion desired, a fresh
// random ID.
DnsPacket upstream_query_for(DnsQuery const& query);

struct AnsweredAddress {
    IpAddress address;
    std::chrono::seconds ttl{0};
};

struct RelayedAnswer {
    // A and AAAA records for the question's name, directly or through the answer's CNAME chain
    // from it; records for other names are ignored (they are not what the guest asked).
    std::vector<AnsweredAddress> addresses;
    // The guest's answer: its ID and question, the upstream's rcode, answer and authority
    // records, trimmed (authority first, then answers from the end) to query.reply_limit.
    std::vector<std::uint8_t> reply;
};

// Relays `upstream`, the answer to upstream_query_for(query). Fails when it does not answer
// that query (another ID or question).
Result<RelayedAnswer> relay_answer(DnsQuery const& query, ldns_pkt const& upstream,
                                   std::uint16_t upstream_id);

} // namespace microvm::runner::net
