#include "runner/net/dns_messages.hpp"

#include <algorithm>
#include <cstdlib>
#include <set>

namespace microvm::runner::net {

namespace {

struct RdfFree {
    void operator()(ldns_rdf* rdf) const { ldns_rdf_deep_free(rdf); }
};
using Rdf = std::unique_ptr<ldns_rdf, RdfFree>;

// A C string ldns allocated.
std::string take_string(char* text) {
    if (text == nullptr) {
        return {};
    }
    std::string copy(text);
    std::free(text);
    return copy;
}

// "Ok.Test." -> "ok.test".
std::string canonical_name(ldns_rdf const* name) {
    std::string text = take_string(ldns_rdf2str(name));
    if (text.ends_with('.')) {
        text.pop_back();
    }
    std::transform(text.begin(), text.end(), text.begin(), [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return text;
}

std::vector<std::uint8_t> to_wire(ldns_pkt const* packet) {
    std::uint8_t* data = nullptr;
    std::size_t size = 0;
    if (ldns_pkt2wire(&data, packet, &size) != LDNS_STATUS_OK) {
        std::free(data);
        return {};
    }
    std::vector<std::uint8_t> wire(data, data + size);
    std::free(data);
    return wire;
}

// The guest's own query turned into an (empty) answer to it.
DnsPacket answer_shell(ldns_pkt const* query, ldns_pkt_rcode rcode) {
    DnsPacket reply(ldns_pkt_clone(query));
    if (!reply) {
        return nullptr;
    }
    ldns_pkt_set_qr(reply.get(), true);
    ldns_pkt_set_ra(reply.get(), true);
    ldns_pkt_set_aa(reply.get(), false);
    ldns_pkt_set_tc(reply.get(), false);
    ldns_pkt_set_rcode(reply.get(), static_cast<std::uint8_t>(rcode));
    for (auto section : {LDNS_SECTION_ANSWER, LDNS_SECTION_AUTHORITY, LDNS_SECTION_ADDITIONAL}) {
        ldns_rr_list* list = section == LDNS_SECTION_ANSWER      ? ldns_pkt_answer(reply.get())
                             : section == LDNS_SECTION_AUTHORITY ? ldns_pkt_authority(reply.get())
                                                                 : ldns_pkt_additional(reply.get());
        while (ldns_rr* rr = ldns_rr_list_pop_rr(list)) {
            ldns_rr_free(rr);
        }
    }
    ldns_pkt_set_ancount(reply.get(), 0);
    ldns_pkt_set_nscount(reply.get(), 0);
    ldns_pkt_set_arcount(reply.get(), 0);
    return reply;
}

std::vector<std::uint8_t> error_reply(ldns_pkt const* query, ldns_pkt_rcode rcode) {
    DnsPacket const reply = answer_shell(query, rcode);
    return reply ? to_wire(reply.get()) : std::vector<std::uint8_t>{};
}

IpAddress address_of(ldns_rdf const* rdf) {
    IpAddress address;
    std::size_t const size = ldns_rdf_size(rdf);
    address.v6 = size == 16;
    std::copy_n(ldns_rdf_data(rdf), std::min<std::size_t>(size, 16), address.bytes.begin());
    return address;
}

bool pop_last(ldns_rr_list* list, std::uint16_t (*count)(ldns_pkt const*), ldns_pkt* packet,
              void (*set_count)(ldns_pkt*, std::uint16_t)) {
    ldns_rr* rr = ldns_rr_list_pop_rr(list);
    if (rr == nullptr) {
        return false;
    }
    ldns_rr_free(rr);
    set_count(packet, static_cast<std::uint16_t>(count(packet) - 1));
    return true;
}

} // namespace

GuestDnsMessage read_guest_dns(std::span<std::uint8_t const> message) {
    GuestDnsMessage result;
    ldns_pkt* raw = nullptr;
    if (ldns_wire2pkt(&raw, message.data(), message.size()) != LDNS_STATUS_OK) {
        ldns_pkt_free(raw);
        result.problem = "not a DNS message";
        return result;
    }
    DnsPacket packet(raw);
    if (ldns_pkt_qr(packet.get())) {
        result.problem = "a response, not a query";
        return result;
    }
    if (ldns_pkt_get_opcode(packet.get()) != LDNS_PACKET_QUERY) {
        result.problem = "not a standard query";
        result.reply = error_reply(packet.get(), LDNS_RCODE_NOTIMPL);
        return result;
    }
    ldns_rr_list const* questions = ldns_pkt_question(packet.get());
    if (ldns_rr_list_rr_count(questions) != 1) {
        result.problem = std::to_string(ldns_rr_list_rr_count(questions)) + " questions";
        result.reply = error_reply(packet.get(), LDNS_RCODE_FORMERR);
        return result;
    }
    ldns_rr const* question = ldns_rr_list_rr(questions, 0);
    if (ldns_rr_get_class(question) != LDNS_RR_CLASS_IN) {
        result.problem = "a class other than IN";
        result.reply = error_reply(packet.get(), LDNS_RCODE_REFUSED);
        return result;
    }
    DnsQuery query;
    query.name = canonical_name(ldns_rr_owner(question));
    query.type = ldns_rr_get_type(question);
    query.type_name = take_string(ldns_rr_type2str(query.type));
    if (ldns_pkt_edns(packet.get())) {
        query.reply_limit = std::clamp<std::size_t>(ldns_pkt_edns_udp_size(packet.get()),
                                                    classic_udp_limit, max_udp_answer);
    }
    query.packet = std::move(packet);
    result.query = std::move(query);
    return result;
}

std::vector<std::uint8_t> dns_error_reply(DnsQuery const& query, ldns_pkt_rcode rcode) {
    return error_reply(query.packet.get(), rcode);
}

DnsPacket upstream_query_for(DnsQuery const& query) {
    ldns_rr const* question = ldns_rr_list_rr(ldns_pkt_question(query.packet.get()), 0);
    ldns_rdf* name = ldns_rdf_clone(ldns_rr_owner(question));
    DnsPacket upstream(ldns_pkt_query_new(name, query.type, LDNS_RR_CLASS_IN, LDNS_RD));
    if (!upstream) {
        ldns_rdf_deep_free(name);
        return nullptr;
    }
    ldns_pkt_set_random_id(upstream.get());
    ldns_pkt_set_edns_udp_size(upstream.get(), 1232);
    return upstream;
}

Result<RelayedAnswer> relay_answer(DnsQuery const& query, ldns_pkt const& upstream,
                                   std::uint16_t upstream_id) {
    ldns_rr_list const* questions = ldns_pkt_question(&upstream);
    if (ldns_pkt_id(&upstream) != upstream_id || !ldns_pkt_qr(&upstream) ||
        ldns_rr_list_rr_count(questions) != 1 ||
        canonical_name(ldns_rr_owner(ldns_rr_list_rr(questions, 0))) != query.name ||
        ldns_rr_get_type(ldns_rr_list_rr(questions, 0)) != query.type) {
        return fail("the upstream answer does not answer the query");
    }
    DnsPacket reply = answer_shell(query.packet.get(), ldns_pkt_get_rcode(&upstream));
    if (!reply) {
        return fail("out of memory building the answer");
    }
    // No record is smaller than this on the wire (a compressed owner, type, class, TTL, length
    // and one byte of data), so no more than reply_limit / min_record_size can fit: the rest
    // are not copied, and trimming below costs at most that many re-encodings.
    constexpr std::size_t min_record_size = 12;
    std::size_t const most = query.reply_limit / min_record_size;
    for (auto const section : {LDNS_SECTION_ANSWER, LDNS_SECTION_AUTHORITY}) {
        ldns_rr_list const* records = section == LDNS_SECTION_ANSWER
                                          ? ldns_pkt_answer(&upstream)
                                          : ldns_pkt_authority(&upstream);
        std::size_t const count = std::min(ldns_rr_list_rr_count(records), most);
        for (std::size_t i = 0; i < count; ++i) {
            ldns_pkt_push_rr(reply.get(), section, ldns_rr_clone(ldns_rr_list_rr(records, i)));
        }
    }
    RelayedAnswer relayed;
    relayed.reply = to_wire(reply.get());
    // Too big for the guest's datagram: fewer records rather than a truncated answer, which
    // would send the guest to TCP, which microvm's resolver does not serve.
    while (relayed.reply.size() > query.reply_limit &&
           (pop_last(ldns_pkt_authority(reply.get()), ldns_pkt_nscount, reply.get(),
                     ldns_pkt_set_nscount) ||
            pop_last(ldns_pkt_answer(reply.get()), ldns_pkt_ancount, reply.get(),
                     ldns_pkt_set_ancount))) {
        relayed.reply = to_wire(reply.get());
    }
    if (relayed.reply.size() > query.reply_limit) {
        relayed.reply.clear();
        return relayed;
    }

    // The addresses the guest is told, and only those, are the ones it may open: read them from
    // the reply as sent, not from what the upstream sent.
    ldns_rr_list const* answers = ldns_pkt_answer(reply.get());
    std::size_t const count = ldns_rr_list_rr_count(answers);
    // The names that stand for the question's: itself and every CNAME target reached from it.
    std::set<std::string> names = {query.name};
    for (bool grew = true; grew;) {
        grew = false;
        for (std::size_t i = 0; i < count; ++i) {
            ldns_rr const* rr = ldns_rr_list_rr(answers, i);
            if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME && ldns_rr_rd_count(rr) == 1 &&
                names.contains(canonical_name(ldns_rr_owner(rr)))) {
                grew |= names.insert(canonical_name(ldns_rr_rdf(rr, 0))).second;
            }
        }
    }
    for (std::size_t i = 0; i < count; ++i) {
        ldns_rr const* rr = ldns_rr_list_rr(answers, i);
        auto const type = ldns_rr_get_type(rr);
        if ((type != LDNS_RR_TYPE_A && type != LDNS_RR_TYPE_AAAA) || ldns_rr_rd_count(rr) != 1 ||
            ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN ||
            !names.contains(canonical_name(ldns_rr_owner(rr)))) {
            continue;
        }
        std::size_t const size = ldns_rdf_size(ldns_rr_rdf(rr, 0));
        if (size != (type == LDNS_RR_TYPE_A ? 4u : 16u)) {
            continue;
        }
        relayed.addresses.push_back(
            {address_of(ldns_rr_rdf(rr, 0)), std::chrono::seconds(ldns_rr_ttl(rr))});
    }
    return relayed;
}

} // namespace microvm::runner::net
