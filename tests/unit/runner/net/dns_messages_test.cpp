// microvm's resolver's DNS messages (runner/net/dns_messages.hpp): the guest's queries as ldns
// writes them, the error answers, and upstream answers relayed back.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "runner/net/dns_messages.hpp"

namespace microvm::runner::net {
namespace {

using Bytes = std::vector<std::uint8_t>;

struct QuerySpec {
    char const* name = "example.com.";
    ldns_rr_type type = LDNS_RR_TYPE_A;
    ldns_rr_class klass = LDNS_RR_CLASS_IN;
    std::uint16_t id = 0x1234;
    // 0: no EDNS.
    std::uint16_t edns_size = 0;
};

DnsPacket query_packet(QuerySpec const& spec) {
    ldns_rdf* name = ldns_dname_new_frm_str(spec.name);
    EXPECT_NE(name, nullptr) << spec.name;
    DnsPacket packet(ldns_pkt_query_new(name, spec.type, spec.klass, LDNS_RD));
    EXPECT_NE(packet, nullptr);
    ldns_pkt_set_id(packet.get(), spec.id);
    if (spec.edns_size != 0) {
        ldns_pkt_set_edns_udp_size(packet.get(), spec.edns_size);
    }
    return packet;
}

Bytes wire(ldns_pkt const* packet) {
    std::uint8_t* data = nullptr;
    std::size_t size = 0;
    EXPECT_EQ(ldns_pkt2wire(&data, packet, &size), LDNS_STATUS_OK);
    Bytes out(data, data + size);
    std::free(data);
    return out;
}

Bytes query_wire(QuerySpec const& spec) {
    return wire(query_packet(spec).get());
}

DnsPacket parse(Bytes const& bytes) {
    ldns_pkt* packet = nullptr;
    EXPECT_EQ(ldns_wire2pkt(&packet, bytes.data(), bytes.size()), LDNS_STATUS_OK);
    return DnsPacket(packet);
}

std::string owner_of(ldns_rr const* rr) {
    char* text = ldns_rdf2str(ldns_rr_owner(rr));
    std::string out = text;
    std::free(text);
    return out;
}

DnsQuery read_query(QuerySpec const& spec) {
    GuestDnsMessage message = read_guest_dns(query_wire(spec));
    EXPECT_TRUE(message.query) << message.problem;
    return message.query ? std::move(*message.query) : DnsQuery{};
}

ldns_rr* rr_of(std::string const& text) {
    ldns_rr* rr = nullptr;
    EXPECT_EQ(ldns_rr_new_frm_str(&rr, text.c_str(), 0, nullptr, nullptr), LDNS_STATUS_OK) << text;
    return rr;
}

// An upstream answer to `question` (type A unless said) with `id` and the given records.
DnsPacket answer_packet(char const* question, std::uint16_t id,
                        std::vector<std::string> const& answers,
                        std::vector<std::string> const& authority = {},
                        ldns_rr_type type = LDNS_RR_TYPE_A) {
    DnsPacket packet = query_packet({.name = question, .type = type, .id = id});
    ldns_pkt_set_qr(packet.get(), true);
    ldns_pkt_set_ra(packet.get(), true);
    for (auto const& text : answers) {
        ldns_pkt_push_rr(packet.get(), LDNS_SECTION_ANSWER, rr_of(text));
    }
    for (auto const& text : authority) {
        ldns_pkt_push_rr(packet.get(), LDNS_SECTION_AUTHORITY, rr_of(text));
    }
    return packet;
}

TEST(DnsMessages, ReadsAStandardQuery) {
    GuestDnsMessage const message =
        read_guest_dns(query_wire({.name = "Api.Example.COM.", .type = LDNS_RR_TYPE_AAAA}));
    ASSERT_TRUE(message.query) << message.problem;
    EXPECT_TRUE(message.reply.empty());
    EXPECT_EQ(message.query->name, "api.example.com");
    EXPECT_EQ(message.query->type, LDNS_RR_TYPE_AAAA);
    EXPECT_EQ(message.query->type_name, "AAAA");
    EXPECT_EQ(message.query->reply_limit, classic_udp_limit);
    EXPECT_EQ(ldns_pkt_id(message.query->packet.get()), 0x1234);
}

TEST(DnsMessages, RootAndEscapedNames) {
    EXPECT_EQ(read_query({.name = "."}).name, "");
    // A '.' inside a label keeps ldns' escape.
    ldns_rdf* name = ldns_dname_new_frm_str("evil\\.example.com.");
    ASSERT_NE(name, nullptr);
    EXPECT_EQ(ldns_dname_label_count(name), 2u);
    DnsPacket packet(ldns_pkt_query_new(name, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, LDNS_RD));
    GuestDnsMessage const message = read_guest_dns(wire(packet.get()));
    ASSERT_TRUE(message.query);
    EXPECT_EQ(message.query->name, "evil\\.example.com");
}

TEST(DnsMessages, ReplyLimitComesFromEdnsWithinBounds) {
    EXPECT_EQ(read_query({.edns_size = 4096}).reply_limit, max_udp_answer);
    EXPECT_EQ(read_query({.edns_size = 1232}).reply_limit, 1232u);
    EXPECT_EQ(read_query({.edns_size = 1472}).reply_limit, 1472u);
    EXPECT_EQ(read_query({.edns_size = 1473}).reply_limit, 1472u);
    EXPECT_EQ(read_query({.edns_size = 512}).reply_limit, 512u);
    EXPECT_EQ(read_query({.edns_size = 100}).reply_limit, classic_udp_limit);
    EXPECT_EQ(read_query({.edns_size = 1}).reply_limit, classic_udp_limit);
    EXPECT_EQ(read_query({}).reply_limit, classic_udp_limit);
}

TEST(DnsMessages, ResponsesAreDroppedWithoutAnAnswer) {
    DnsPacket packet = query_packet({});
    ldns_pkt_set_qr(packet.get(), true);
    GuestDnsMessage const message = read_guest_dns(wire(packet.get()));
    EXPECT_FALSE(message.query);
    EXPECT_TRUE(message.reply.empty());
    EXPECT_EQ(message.problem, "a response, not a query");
}

TEST(DnsMessages, GarbageIsDroppedWithoutAnAnswer) {
    for (Bytes const& garbage :
         {Bytes{}, Bytes{0x12}, Bytes(11, 0), Bytes{0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0},
          Bytes(64, 0xff)}) {
        GuestDnsMessage const message = read_guest_dns(garbage);
        EXPECT_FALSE(message.query);
        EXPECT_TRUE(message.reply.empty());
        EXPECT_EQ(message.problem, "not a DNS message");
    }
    // Cut short anywhere, a query is no query.
    Bytes const whole = query_wire({.name = "a.b.example.com.", .edns_size = 1232});
    for (std::size_t size = 0; size < whole.size(); ++size) {
        Bytes const cut(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(size));
        EXPECT_FALSE(read_guest_dns(cut).query) << size;
    }
}

// The error answer: the guest's ID and question, a response, the rcode, no records.
void expect_error_reply(Bytes const& reply, ldns_pkt_rcode rcode, std::uint16_t id,
                        std::size_t questions) {
    ASSERT_FALSE(reply.empty());
    DnsPacket const packet = parse(reply);
    ASSERT_TRUE(packet);
    EXPECT_EQ(ldns_pkt_id(packet.get()), id);
    EXPECT_TRUE(ldns_pkt_qr(packet.get()));
    EXPECT_EQ(ldns_pkt_get_rcode(packet.get()), rcode);
    EXPECT_EQ(ldns_pkt_qdcount(packet.get()), questions);
    EXPECT_EQ(ldns_pkt_ancount(packet.get()), 0);
    EXPECT_EQ(ldns_pkt_nscount(packet.get()), 0);
    EXPECT_EQ(ldns_pkt_arcount(packet.get()), 0);
}

TEST(DnsMessages, OtherOpcodesAreNotImplemented) {
    for (auto const opcode :
         {LDNS_PACKET_IQUERY, LDNS_PACKET_STATUS, LDNS_PACKET_NOTIFY, LDNS_PACKET_UPDATE}) {
        DnsPacket packet = query_packet({.id = 77});
        ldns_pkt_set_opcode(packet.get(), opcode);
        GuestDnsMessage const message = read_guest_dns(wire(packet.get()));
        EXPECT_FALSE(message.query);
        EXPECT_EQ(message.problem, "not a standard query");
        expect_error_reply(message.reply, LDNS_RCODE_NOTIMPL, 77, 1);
    }
}

TEST(DnsMessages, QuestionCountOtherThanOneIsAFormatError) {
    DnsPacket two = query_packet({.id = 99});
    ldns_rr* second = ldns_rr_new();
    ldns_rr_set_owner(second, ldns_dname_new_frm_str("other.test."));
    ldns_rr_set_type(second, LDNS_RR_TYPE_A);
    ldns_rr_set_class(second, LDNS_RR_CLASS_IN);
    ldns_rr_set_question(second, true);
    ASSERT_TRUE(ldns_pkt_push_rr(two.get(), LDNS_SECTION_QUESTION, second));
    GuestDnsMessage const message = read_guest_dns(wire(two.get()));
    EXPECT_FALSE(message.query);
    EXPECT_EQ(message.problem, "2 questions");
    expect_error_reply(message.reply, LDNS_RCODE_FORMERR, 99, 2);

    // No question at all: a bare header.
    Bytes const none = {0x00, 0x07, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0};
    GuestDnsMessage const empty = read_guest_dns(none);
    EXPECT_FALSE(empty.query);
    EXPECT_EQ(empty.problem, "0 questions");
    expect_error_reply(empty.reply, LDNS_RCODE_FORMERR, 7, 0);
}

TEST(DnsMessages, OtherClassesAreRefused) {
    for (auto const klass : {LDNS_RR_CLASS_CH, LDNS_RR_CLASS_HS, LDNS_RR_CLASS_ANY}) {
        GuestDnsMessage const message = read_guest_dns(query_wire(
            {.name = "version.bind.", .type = LDNS_RR_TYPE_TXT, .klass = klass, .id = 5}));
        EXPECT_FALSE(message.query);
        EXPECT_EQ(message.problem, "a class other than IN");
        expect_error_reply(message.reply, LDNS_RCODE_REFUSED, 5, 1);
    }
}

TEST(DnsMessages, ErrorReplyKeepsTheGuestsIdAndQuestion) {
    DnsQuery const query = read_query({.name = "Denied.Test.", .id = 0xbeef, .edns_size = 1232});
    Bytes const reply = dns_error_reply(query, LDNS_RCODE_NXDOMAIN);
    expect_error_reply(reply, LDNS_RCODE_NXDOMAIN, 0xbeef, 1);
    DnsPacket const packet = parse(reply);
    ldns_rr const* question = ldns_rr_list_rr(ldns_pkt_question(packet.get()), 0);
    // The question as the guest wrote it, case included (0x20 randomisation).
    EXPECT_EQ(owner_of(question), "Denied.Test.");
    EXPECT_EQ(ldns_rr_get_type(question), LDNS_RR_TYPE_A);
    EXPECT_EQ(ldns_rr_get_class(question), LDNS_RR_CLASS_IN);
    EXPECT_TRUE(ldns_pkt_rd(packet.get()));
    EXPECT_TRUE(ldns_pkt_ra(packet.get()));
    EXPECT_FALSE(ldns_pkt_aa(packet.get()));
    EXPECT_FALSE(ldns_pkt_tc(packet.get()));

    expect_error_reply(dns_error_reply(query, LDNS_RCODE_SERVFAIL), LDNS_RCODE_SERVFAIL, 0xbeef, 1);
}

TEST(DnsMessages, UpstreamQueryAsksTheSameQuestion) {
    DnsQuery const query =
        read_query({.name = "Api.Example.com.", .type = LDNS_RR_TYPE_AAAA, .id = 1});
    DnsPacket const upstream = upstream_query_for(query);
    ASSERT_TRUE(upstream);
    EXPECT_FALSE(ldns_pkt_qr(upstream.get()));
    EXPECT_TRUE(ldns_pkt_rd(upstream.get()));
    EXPECT_EQ(ldns_pkt_qdcount(upstream.get()), 1);
    ldns_rr const* question = ldns_rr_list_rr(ldns_pkt_question(upstream.get()), 0);
    EXPECT_EQ(owner_of(question), "Api.Example.com.");
    EXPECT_EQ(ldns_rr_get_type(question), LDNS_RR_TYPE_AAAA);
    EXPECT_EQ(ldns_rr_get_class(question), LDNS_RR_CLASS_IN);
    // Its wire form reads back.
    EXPECT_TRUE(parse(wire(upstream.get())));
}

TEST(DnsMessages, RelayLearnsTheAddressesOfTheQuestionsName) {
    DnsQuery const query = read_query({.name = "api.example.com.", .id = 0x4242});
    DnsPacket const upstream = answer_packet(
        "API.example.com.", 0x9999,
        {"api.example.com. 300 IN A 192.0.2.10", "Api.Example.Com. 60 IN A 192.0.2.11",
         "unrelated.test. 300 IN A 198.51.100.1", "api.example.com. 300 IN TXT \"x\""});
    auto relayed = relay_answer(query, *upstream, 0x9999);
    ASSERT_TRUE(relayed) << relayed.error().text();
    ASSERT_EQ(relayed->addresses.size(), 2u);
    EXPECT_EQ(relayed->addresses[0].address.to_string(), "192.0.2.10");
    EXPECT_EQ(relayed->addresses[0].ttl, std::chrono::seconds(300));
    EXPECT_EQ(relayed->addresses[1].address.to_string(), "192.0.2.11");
    EXPECT_EQ(relayed->addresses[1].ttl, std::chrono::seconds(60));

    DnsPacket const reply = parse(relayed->reply);
    ASSERT_TRUE(reply);
    EXPECT_EQ(ldns_pkt_id(reply.get()), 0x4242);
    EXPECT_TRUE(ldns_pkt_qr(reply.get()));
    EXPECT_EQ(ldns_pkt_get_rcode(reply.get()), LDNS_RCODE_NOERROR);
    EXPECT_EQ(owner_of(ldns_rr_list_rr(ldns_pkt_question(reply.get()), 0)), "api.example.com.");
    // Every answer record is relayed; only the question's addresses are learned.
    EXPECT_EQ(ldns_pkt_ancount(reply.get()), 4);
}

TEST(DnsMessages, RelayFollowsTheCnameChain) {
    DnsQuery const query = read_query({.name = "www.example.com.", .id = 1});
    DnsPacket const upstream = answer_packet(
        "www.example.com.", 2,
        {// Out of order: the chain is followed, not the record order.
         "edge.cdn.test. 20 IN A 192.0.2.20", "www.example.com. 300 IN CNAME Alias.Example.NET.",
         "alias.example.net. 300 IN CNAME edge.cdn.test.", "edge.cdn.test. 20 IN AAAA 2001:db8::20",
         // Not reached from the question: ignored.
         "other.test. 300 IN CNAME elsewhere.test.", "elsewhere.test. 300 IN A 198.51.100.2",
         "alias.example.net. 300 IN A 192.0.2.21"});
    auto relayed = relay_answer(query, *upstream, 2);
    ASSERT_TRUE(relayed) << relayed.error().text();
    std::vector<std::string> addresses;
    for (auto const& answered : relayed->addresses) {
        addresses.push_back(answered.address.to_string());
    }
    EXPECT_EQ(addresses, (std::vector<std::string>{"192.0.2.20", "2001:db8::20", "192.0.2.21"}));
    EXPECT_TRUE(relayed->addresses[1].address.v6);
    EXPECT_EQ(relayed->addresses[0].ttl, std::chrono::seconds(20));
}

TEST(DnsMessages, RelayIgnoresACnameLoop) {
    DnsQuery const query = read_query({.name = "a.test.", .id = 1});
    DnsPacket const upstream =
        answer_packet("a.test.", 1,
                      {"a.test. 60 IN CNAME b.test.", "b.test. 60 IN CNAME a.test.",
                       "b.test. 60 IN A 192.0.2.30"});
    auto relayed = relay_answer(query, *upstream, 1);
    ASSERT_TRUE(relayed) << relayed.error().text();
    ASSERT_EQ(relayed->addresses.size(), 1u);
    EXPECT_EQ(relayed->addresses[0].address.to_string(), "192.0.2.30");
}

TEST(DnsMessages, RelayKeepsTheUpstreamsRcode) {
    DnsQuery const query = read_query({.name = "gone.test.", .id = 3});
    DnsPacket upstream =
        answer_packet("gone.test.", 4, {}, {"test. 300 IN SOA ns.test. admin.test. 1 2 3 4 5"});
    ldns_pkt_set_rcode(upstream.get(), LDNS_RCODE_NXDOMAIN);
    auto relayed = relay_answer(query, *upstream, 4);
    ASSERT_TRUE(relayed) << relayed.error().text();
    EXPECT_TRUE(relayed->addresses.empty());
    DnsPacket const reply = parse(relayed->reply);
    EXPECT_EQ(ldns_pkt_get_rcode(reply.get()), LDNS_RCODE_NXDOMAIN);
    EXPECT_EQ(ldns_pkt_nscount(reply.get()), 1);
    EXPECT_EQ(ldns_pkt_id(reply.get()), 3);
}

TEST(DnsMessages, RelayRefusesAnswersToAnotherQuery) {
    DnsQuery const query = read_query({.name = "api.example.com.", .id = 1});
    char const* const message = "the upstream answer does not answer the query";
    // Another ID.
    auto wrong_id = relay_answer(
        query, *answer_packet("api.example.com.", 10, {"api.example.com. 1 IN A 192.0.2.1"}), 11);
    ASSERT_FALSE(wrong_id);
    EXPECT_EQ(wrong_id.error().text(), message);
    // Another name.
    auto wrong_name = relay_answer(
        query, *answer_packet("evil.example.com.", 10, {"evil.example.com. 1 IN A 192.0.2.1"}), 10);
    ASSERT_FALSE(wrong_name);
    EXPECT_EQ(wrong_name.error().text(), message);
    // Another type.
    auto wrong_type =
        relay_answer(query, *answer_packet("api.example.com.", 10, {}, {}, LDNS_RR_TYPE_AAAA), 10);
    EXPECT_FALSE(wrong_type);
    // A query, not an answer.
    DnsPacket not_answer = answer_packet("api.example.com.", 10, {});
    ldns_pkt_set_qr(not_answer.get(), false);
    EXPECT_FALSE(relay_answer(query, *not_answer, 10));
    // No question.
    DnsPacket no_question(ldns_pkt_new());
    ldns_pkt_set_id(no_question.get(), 10);
    ldns_pkt_set_qr(no_question.get(), true);
    EXPECT_FALSE(relay_answer(query, *no_question, 10));
}

TEST(DnsMessages, OversizedAnswersAreTrimmedToTheGuestsLimit) {
    std::vector<std::string> records;
    for (int i = 0; i < 200; ++i) {
        records.push_back("many.test. 300 IN A 192.0.2." + std::to_string(i));
    }
    std::vector<std::string> const authority = {"test. 300 IN NS ns1.test.",
                                                "test. 300 IN NS ns2.test."};
    for (std::uint16_t const edns : {std::uint16_t{0}, std::uint16_t{1232}, std::uint16_t{4096}}) {
        DnsQuery const query = read_query({.name = "many.test.", .id = 8, .edns_size = edns});
        DnsPacket const upstream = answer_packet("many.test.", 9, records, authority);
        auto relayed = relay_answer(query, *upstream, 9);
        ASSERT_TRUE(relayed) << relayed.error().text();
        ASSERT_FALSE(relayed->reply.empty());
        EXPECT_LE(relayed->reply.size(), query.reply_limit) << edns;
        // Trimmed, not truncated: no TC bit, and whole records that ldns reads.
        DnsPacket const reply = parse(relayed->reply);
        ASSERT_TRUE(reply);
        EXPECT_FALSE(ldns_pkt_tc(reply.get()));
        EXPECT_EQ(ldns_pkt_id(reply.get()), 8);
        EXPECT_EQ(ldns_pkt_nscount(reply.get()), 0);
        // Only what the guest is told is learned: the records that fit, not all 200.
        EXPECT_EQ(relayed->addresses.size(), ldns_pkt_ancount(reply.get())) << edns;
        EXPECT_LT(relayed->addresses.size(), 200u);
        std::size_t const kept = ldns_pkt_ancount(reply.get());
        EXPECT_GT(kept, 10u);
        EXPECT_LT(kept, 200u);
        EXPECT_EQ(ldns_rr_list_rr_count(ldns_pkt_answer(reply.get())), kept);
        // The first records are the ones kept.
        char* first =
            ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(reply.get()), 0), 0));
        EXPECT_STREQ(first, "192.0.2.0");
        std::free(first);
    }
}

TEST(DnsMessages, SmallAnswersKeepTheirAuthority) {
    DnsQuery const query = read_query({.name = "few.test.", .id = 8});
    DnsPacket const upstream = answer_packet("few.test.", 9, {"few.test. 300 IN A 192.0.2.1"},
                                             {"test. 300 IN NS ns1.test."});
    auto relayed = relay_answer(query, *upstream, 9);
    ASSERT_TRUE(relayed);
    DnsPacket const reply = parse(relayed->reply);
    EXPECT_EQ(ldns_pkt_ancount(reply.get()), 1);
    EXPECT_EQ(ldns_pkt_nscount(reply.get()), 1);
}

} // namespace
} // namespace microvm::runner::net
