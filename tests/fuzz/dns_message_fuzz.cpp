// microvm's resolver's DNS messages (runner/net/dns_messages.hpp): what the guest sends to
// 10.0.2.3:53 (hostile) and what the upstream resolver answers (not trusted either). Input: the
// guest's message, then optionally answer_separator and the upstream's answer; without one the
// guest's message is also read as the answer.
//
// Checked: a query has a lower-case name without the trailing dot and a reply limit in
// 512..1472; a refused message's reply is a response with the guest's ID and FORMERR, NOTIMP or
// REFUSED; the error answer and the upstream query are messages ldns reads back; a relayed
// answer has the guest's ID and question, fits the guest's limit, and reads back; its learned
// addresses are whole A (4 bytes) or AAAA (16 bytes) addresses. The upstream answer is relayed
// twice: as it is (usually refused: another question), and with the query's question and the
// response bit put in, so the relay's own code is reached.
#include <algorithm>
#include <cstdlib>
#include <vector>

#include "fuzz_support.hpp"
#include "runner/net/dns_messages.hpp"

using namespace microvm;
using namespace microvm::runner::net;

namespace {

constexpr std::string_view answer_separator = "MICROVM-UPSTREAM";

DnsPacket parse(std::span<std::uint8_t const> bytes) {
    ldns_pkt* packet = nullptr;
    if (ldns_wire2pkt(&packet, bytes.data(), bytes.size()) != LDNS_STATUS_OK) {
        ldns_pkt_free(packet);
        return nullptr;
    }
    return DnsPacket(packet);
}

std::span<std::uint8_t const> bytes_of(std::string_view text) {
    return {reinterpret_cast<std::uint8_t const*>(text.data()), text.size()};
}

// A reply microvm sends the guest: a response to the guest's message `id`.
DnsPacket check_reply(std::vector<std::uint8_t> const& reply, std::uint16_t id, char const* what) {
    DnsPacket packet = parse(reply);
    if (!packet) {
        fuzz::finding(std::string(what) + ": ldns does not read it back");
    }
    if (!ldns_pkt_qr(packet.get()) || ldns_pkt_id(packet.get()) != id) {
        fuzz::finding(std::string(what) + ": not a response to the guest's message");
    }
    return packet;
}

void check_refused(GuestDnsMessage const& message, std::span<std::uint8_t const> input) {
    if (message.problem.empty()) {
        fuzz::finding("no query, and no problem said");
    }
    if (message.reply.empty()) {
        return;
    }
    DnsPacket const guest = parse(input);
    if (!guest) {
        fuzz::finding("a reply to a message ldns does not read");
    }
    DnsPacket const reply = check_reply(message.reply, ldns_pkt_id(guest.get()), "refusal");
    auto const rcode = ldns_pkt_get_rcode(reply.get());
    if (rcode != LDNS_RCODE_FORMERR && rcode != LDNS_RCODE_NOTIMPL && rcode != LDNS_RCODE_REFUSED) {
        fuzz::finding("refusal: rcode " + std::to_string(rcode));
    }
    if (ldns_pkt_ancount(reply.get()) != 0 || ldns_pkt_nscount(reply.get()) != 0) {
        fuzz::finding("refusal: carries records");
    }
}

void check_query(DnsQuery const& query) {
    for (char const c : query.name) {
        if (c >= 'A' && c <= 'Z') {
            fuzz::finding("query: the name \"" + query.name + "\" is not lower case");
        }
    }
    if (query.name.ends_with('.') && !query.name.ends_with("\\.")) {
        fuzz::finding("query: the name \"" + query.name + "\" keeps its trailing dot");
    }
    if (query.reply_limit < classic_udp_limit || query.reply_limit > max_udp_answer) {
        fuzz::finding("query: a reply limit of " + std::to_string(query.reply_limit));
    }
    std::uint16_t const id = ldns_pkt_id(query.packet.get());
    DnsPacket const error =
        check_reply(dns_error_reply(query, LDNS_RCODE_NXDOMAIN), id, "NXDOMAIN");
    if (ldns_pkt_get_rcode(error.get()) != LDNS_RCODE_NXDOMAIN ||
        ldns_pkt_qdcount(error.get()) != 1 || ldns_pkt_ancount(error.get()) != 0) {
        fuzz::finding("NXDOMAIN: not an empty answer to the question");
    }
    DnsPacket const upstream = upstream_query_for(query);
    if (!upstream) {
        fuzz::finding("no upstream query");
    }
    std::uint8_t* wire = nullptr;
    std::size_t size = 0;
    bool const written = ldns_pkt2wire(&wire, upstream.get(), &size) == LDNS_STATUS_OK;
    DnsPacket const again =
        written ? parse(std::span<std::uint8_t const>(wire, size)) : DnsPacket(nullptr);
    std::free(wire);
    if (!again || ldns_pkt_qdcount(again.get()) != 1 || ldns_pkt_qr(again.get())) {
        fuzz::finding("upstream query: ldns does not read it back as one question");
    }
}

enum class MustAnswer { no, yes };

void check_relay(DnsQuery const& query, ldns_pkt const& upstream, MustAnswer must_answer) {
    auto const relayed = relay_answer(query, upstream, ldns_pkt_id(&upstream));
    if (!relayed) {
        if (must_answer == MustAnswer::yes) {
            fuzz::finding("relay: refused an answer to the query: " + relayed.error().text());
        }
        return;
    }
    for (auto const& answered : relayed->addresses) {
        if (answered.ttl.count() < 0 || answered.ttl.count() > 0xffffffffLL) {
            fuzz::finding("relay: a TTL of " + std::to_string(answered.ttl.count()));
        }
        if (!answered.address.v6 &&
            std::any_of(answered.address.bytes.begin() + 4, answered.address.bytes.end(),
                        [](std::uint8_t byte) { return byte != 0; })) {
            fuzz::finding("relay: an IPv4 address with bytes past the fourth");
        }
    }
    if (relayed->reply.size() > query.reply_limit) {
        fuzz::finding("relay: an answer of " + std::to_string(relayed->reply.size()) +
                      " bytes for a limit of " + std::to_string(query.reply_limit));
    }
    if (relayed->reply.empty()) {
        return;
    }
    DnsPacket const reply =
        check_reply(relayed->reply, ldns_pkt_id(query.packet.get()), "relayed answer");
    if (ldns_pkt_qdcount(reply.get()) != 1 || ldns_pkt_tc(reply.get()) ||
        ldns_pkt_get_rcode(reply.get()) != ldns_pkt_get_rcode(&upstream)) {
        fuzz::finding("relayed answer: not the upstream's answer to the guest's question");
    }
}

// `upstream` made to answer `query`: its question, the response bit.
DnsPacket answering(DnsQuery const& query, ldns_pkt const& upstream) {
    DnsPacket forced(ldns_pkt_clone(&upstream));
    if (!forced) {
        return nullptr;
    }
    ldns_rr_list_deep_free(ldns_pkt_question(forced.get()));
    ldns_pkt_set_question(forced.get(), ldns_rr_list_clone(ldns_pkt_question(query.packet.get())));
    ldns_pkt_set_qdcount(forced.get(), 1);
    ldns_pkt_set_qr(forced.get(), true);
    return forced;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    auto const parts = fuzz::split(fuzz::as_text(data, size), answer_separator, 2);
    auto const guest = bytes_of(parts[0]);
    GuestDnsMessage const message = read_guest_dns(guest);
    if (!message.query) {
        check_refused(message, guest);
        return 0;
    }
    if (!message.reply.empty() || !message.problem.empty()) {
        fuzz::finding("a query with a reply or a problem");
    }
    DnsQuery const& query = *message.query;
    check_query(query);
    DnsPacket const upstream = parse(parts[1].empty() ? guest : bytes_of(parts[1]));
    if (!upstream) {
        return 0;
    }
    check_relay(query, *upstream, MustAnswer::no);
    if (DnsPacket const forced = answering(query, *upstream)) {
        check_relay(query, *forced, MustAnswer::yes);
    }
    return 0;
}
