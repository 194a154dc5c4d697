// The guest's Ethernet frames as the egress filter reads them, and the frames it answers with
// (runner/net/guest_frames.hpp). Frames are built by hand, byte by byte.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "runner/net/guest_frames.hpp"

namespace microvm::runner::net {
namespace {

using Bytes = std::vector<std::uint8_t>;

constexpr std::uint8_t tcp_protocol = 6;
constexpr std::uint8_t udp_protocol = 17;
constexpr std::uint8_t icmp_protocol = 1;
constexpr std::uint8_t fin = 0x01;
constexpr std::uint8_t syn = 0x02;
constexpr std::uint8_t rst = 0x04;
constexpr std::uint8_t psh = 0x08;
constexpr std::uint8_t ack = 0x10;
constexpr std::size_t eth = 14;

std::array<std::uint8_t, 6> const guest_mac = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
std::array<std::uint8_t, 6> const gateway_mac = {0x52, 0x55, 0x0a, 0x00, 0x02, 0x02};

IpAddress ip(std::string_view text) {
    auto address = parse_ip_address(text);
    EXPECT_TRUE(address) << text;
    return address ? *address : IpAddress{};
}

IpAddress const resolver = ip("10.0.2.3");

std::uint16_t be16(Bytes const& bytes, std::size_t at) {
    return static_cast<std::uint16_t>(bytes.at(at) << 8 | bytes.at(at + 1));
}

std::uint32_t be32(Bytes const& bytes, std::size_t at) {
    return std::uint32_t{be16(bytes, at)} << 16 | be16(bytes, at + 2);
}

void put16(Bytes& out, std::size_t at, std::uint16_t value) {
    out.at(at) = static_cast<std::uint8_t>(value >> 8);
    out.at(at + 1) = static_cast<std::uint8_t>(value);
}

void put32(Bytes& out, std::size_t at, std::uint32_t value) {
    put16(out, at, static_cast<std::uint16_t>(value >> 16));
    put16(out, at + 2, static_cast<std::uint16_t>(value));
}

// The one's complement sum (RFC 1071) of `bytes` from `begin` to `end`, plus `sum`, folded.
std::uint16_t ones_sum(Bytes const& bytes, std::size_t begin, std::size_t end,
                       std::uint32_t sum = 0) {
    for (std::size_t i = begin; i < end; i += 2) {
        sum += std::uint32_t{bytes.at(i)} << 8 | (i + 1 < end ? bytes.at(i + 1) : 0);
    }
    while (sum >> 16 != 0) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return static_cast<std::uint16_t>(sum);
}

std::size_t ip_header_length(Bytes const& frame) {
    return std::size_t{frame.at(eth) & 0x0fu} * 4;
}

// A checksum is valid when the sum over what it covers, itself included, is all ones.
bool ipv4_checksum_valid(Bytes const& frame) {
    return ones_sum(frame, eth, eth + ip_header_length(frame)) == 0xffff;
}

bool transport_checksum_valid(Bytes const& frame) {
    std::size_t const l4 = eth + ip_header_length(frame);
    std::size_t const length = eth + be16(frame, eth + 2) - l4;
    std::uint32_t const pseudo = ones_sum(frame, eth + 12, eth + 20) + frame.at(eth + 9) + length;
    return ones_sum(frame, l4, l4 + length, pseudo) == 0xffff;
}

struct Packet {
    std::string_view source = "10.0.2.15";
    std::string_view destination = "192.0.2.7";
    std::uint8_t protocol = tcp_protocol;
    std::uint16_t source_port = 40000;
    std::uint16_t destination_port = 443;
    std::uint8_t flags = syn;
    std::uint32_t seq = 1000;
    std::uint32_t ack_number = 0;
    Bytes payload;
    // IPv4 options, in bytes (a multiple of 4).
    std::size_t ip_options = 0;
    // Flags and fragment offset; don't fragment by default.
    std::uint16_t fragment = 0x4000;
};

// Ethernet, IPv4 and a TCP, UDP or ICMP (echo request) header with correct lengths and
// checksums, then the payload.
Bytes frame_of(Packet const& packet) {
    std::size_t const ip_length = 20 + packet.ip_options;
    std::size_t const l4_header = packet.protocol == tcp_protocol ? 20 : 8;
    Bytes out(eth + ip_length + l4_header + packet.payload.size());
    std::copy(gateway_mac.begin(), gateway_mac.end(), out.begin());
    std::copy(guest_mac.begin(), guest_mac.end(), out.begin() + 6);
    put16(out, 12, 0x0800);
    out[eth] = static_cast<std::uint8_t>(0x40 | ip_length / 4);
    put16(out, eth + 2, static_cast<std::uint16_t>(out.size() - eth));
    put16(out, eth + 4, 0x1234);
    put16(out, eth + 6, packet.fragment);
    out[eth + 8] = 64;
    out[eth + 9] = packet.protocol;
    std::copy_n(ip(packet.source).bytes.begin(), 4, out.begin() + eth + 12);
    std::copy_n(ip(packet.destination).bytes.begin(), 4, out.begin() + eth + 16);
    for (std::size_t i = 0; i < packet.ip_options; ++i) {
        out[eth + 20 + i] = 1; // no-operation
    }
    put16(out, eth + 10, static_cast<std::uint16_t>(~ones_sum(out, eth, eth + ip_length)));
    std::size_t const l4 = eth + ip_length;
    std::copy(packet.payload.begin(), packet.payload.end(), out.begin() + l4 + l4_header);
    if (packet.protocol == icmp_protocol) {
        out[l4] = 8;
        put16(out, l4 + 2, static_cast<std::uint16_t>(~ones_sum(out, l4, out.size())));
        return out;
    }
    put16(out, l4, packet.source_port);
    put16(out, l4 + 2, packet.destination_port);
    std::size_t checksum_at = l4 + 6;
    if (packet.protocol == tcp_protocol) {
        put32(out, l4 + 4, packet.seq);
        put32(out, l4 + 8, packet.ack_number);
        out[l4 + 12] = 5 << 4;
        out[l4 + 13] = packet.flags;
        put16(out, l4 + 14, 64240);
        checksum_at = l4 + 16;
    } else {
        put16(out, l4 + 4, static_cast<std::uint16_t>(8 + packet.payload.size()));
    }
    std::uint32_t const pseudo =
        ones_sum(out, eth + 12, eth + 20) + packet.protocol + (out.size() - l4);
    put16(out, checksum_at, static_cast<std::uint16_t>(~ones_sum(out, l4, out.size(), pseudo)));
    return out;
}

Bytes udp_frame(std::string_view destination, std::uint16_t port, Bytes payload) {
    return frame_of({.destination = destination,
                     .protocol = udp_protocol,
                     .destination_port = port,
                     .payload = std::move(payload)});
}

GuestFrame classify(Bytes const& frame) {
    return classify_guest_frame(frame, resolver);
}

Bytes arp_request() {
    Bytes out(eth + 28);
    std::fill_n(out.begin(), 6, 0xff);
    std::copy(guest_mac.begin(), guest_mac.end(), out.begin() + 6);
    put16(out, 12, 0x0806);
    put16(out, eth, 1);
    put16(out, eth + 2, 0x0800);
    out[eth + 4] = 6;
    out[eth + 5] = 4;
    put16(out, eth + 6, 1);
    return out;
}

TEST(GuestFrame, BuilderMakesValidChecksums) {
    for (auto const& frame : {frame_of({}), udp_frame("192.0.2.7", 123, {1, 2, 3}),
                              frame_of({.payload = {1, 2, 3}, .ip_options = 8})}) {
        EXPECT_TRUE(ipv4_checksum_valid(frame));
        EXPECT_TRUE(transport_checksum_valid(frame));
    }
}

TEST(GuestFrame, ArpPasses) {
    EXPECT_EQ(classify(arp_request()).kind, GuestFrame::Kind::pass);
}

TEST(GuestFrame, TcpSynIsANewFlow) {
    GuestFrame const frame = classify(frame_of({}));
    EXPECT_EQ(frame.kind, GuestFrame::Kind::new_flow);
    EXPECT_EQ(frame.flow.source, ip("10.0.2.15"));
    EXPECT_EQ(frame.flow.destination, ip("192.0.2.7"));
    EXPECT_EQ(frame.flow.source_port, 40000);
    EXPECT_EQ(frame.flow.destination_port, 443);
    EXPECT_EQ(frame.flow.protocol, Protocol::tcp);
}

TEST(GuestFrame, TcpSegmentsThatStartNothingPass) {
    EXPECT_EQ(classify(frame_of({.flags = syn | ack})).kind, GuestFrame::Kind::pass);
    EXPECT_EQ(classify(frame_of({.flags = ack})).kind, GuestFrame::Kind::pass);
    EXPECT_EQ(classify(frame_of({.flags = psh | ack, .payload = {'h', 'i'}})).kind,
              GuestFrame::Kind::pass);
    EXPECT_EQ(classify(frame_of({.flags = fin | ack})).kind, GuestFrame::Kind::pass);
    EXPECT_EQ(classify(frame_of({.flags = rst})).kind, GuestFrame::Kind::pass);
    // A SYN with FIN or RST opens nothing in slirp: dropped, and not counted as a connection.
    EXPECT_EQ(classify(frame_of({.flags = syn | fin})).kind, GuestFrame::Kind::drop);
    EXPECT_EQ(classify(frame_of({.flags = syn | rst})).kind, GuestFrame::Kind::drop);
}

TEST(GuestFrame, UdpDatagramsAreNewFlows) {
    GuestFrame const frame = classify(udp_frame("192.0.2.7", 123, {1, 2, 3}));
    EXPECT_EQ(frame.kind, GuestFrame::Kind::new_flow);
    EXPECT_EQ(frame.flow.protocol, Protocol::udp);
    EXPECT_EQ(frame.flow.destination, ip("192.0.2.7"));
    EXPECT_EQ(frame.flow.destination_port, 123);
    EXPECT_EQ(frame.flow.source_port, 40000);
    // DNS to another resolver is a flow like any other (the policy refuses it).
    EXPECT_EQ(classify(udp_frame("192.0.2.53", 53, {1})).kind, GuestFrame::Kind::new_flow);
    // The resolver's address on another port too.
    EXPECT_EQ(classify(udp_frame("10.0.2.3", 5353, {1})).kind, GuestFrame::Kind::new_flow);
}

TEST(GuestFrame, UdpToTheResolverIsADnsQuery) {
    Bytes const query = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
    Bytes const frame = udp_frame("10.0.2.3", 53, query);
    GuestFrame const classified = classify(frame);
    ASSERT_EQ(classified.kind, GuestFrame::Kind::dns_query);
    EXPECT_EQ(Bytes(classified.payload.begin(), classified.payload.end()), query);
    EXPECT_EQ(classified.payload.data(), frame.data() + 42);
    EXPECT_EQ(classified.flow.protocol, Protocol::udp);
    EXPECT_EQ(classified.flow.destination_port, 53);

    // Ethernet padding after the datagram is not part of it.
    Bytes padded = udp_frame("10.0.2.3", 53, {7});
    padded.resize(60);
    GuestFrame const small = classify(padded);
    ASSERT_EQ(small.kind, GuestFrame::Kind::dns_query);
    EXPECT_EQ(Bytes(small.payload.begin(), small.payload.end()), Bytes{7});

    // An empty datagram is a query with an empty message (read_guest_dns drops it).
    GuestFrame const empty = classify(udp_frame("10.0.2.3", 53, {}));
    EXPECT_EQ(empty.kind, GuestFrame::Kind::dns_query);
    EXPECT_TRUE(empty.payload.empty());
}

TEST(GuestFrame, TcpToTheResolverIsRefused) {
    EXPECT_EQ(classify(frame_of({.destination = "10.0.2.3", .destination_port = 53})).kind,
              GuestFrame::Kind::refuse);
    EXPECT_EQ(classify(frame_of({.destination = "10.0.2.3", .destination_port = 853})).kind,
              GuestFrame::Kind::refuse);
    // A segment to it that starts nothing is dropped, not passed to slirp's own DNS.
    EXPECT_EQ(
        classify(frame_of({.destination = "10.0.2.3", .destination_port = 53, .flags = ack})).kind,
        GuestFrame::Kind::drop);
}

TEST(GuestFrame, IcmpIsDropped) {
    GuestFrame const frame = classify(frame_of({.protocol = icmp_protocol, .payload = {1, 2}}));
    EXPECT_EQ(frame.kind, GuestFrame::Kind::drop);
    EXPECT_STREQ(frame.reason, "ICMP");
    Bytes other = frame_of({});
    other[eth + 9] = 132; // SCTP
    EXPECT_EQ(classify(other).kind, GuestFrame::Kind::drop);
}

TEST(GuestFrame, OtherEthertypesAreDropped) {
    for (std::uint16_t ethertype : {0x86dd, 0x8100, 0x88cc, 0x0000, 0xffff}) {
        Bytes frame = frame_of({});
        put16(frame, 12, ethertype);
        EXPECT_EQ(classify(frame).kind, GuestFrame::Kind::drop) << ethertype;
    }
}

TEST(GuestFrame, FragmentsAreDropped) {
    for (std::uint16_t fragment : {0x2000, 0x0001, 0x1fff, 0x2001, 0x6000}) {
        for (auto const protocol : {tcp_protocol, udp_protocol}) {
            GuestFrame const frame = classify(frame_of({.destination = "10.0.2.3",
                                                        .protocol = protocol,
                                                        .destination_port = 53,
                                                        .fragment = fragment}));
            EXPECT_EQ(frame.kind, GuestFrame::Kind::drop) << fragment;
            EXPECT_STREQ(frame.reason, "IPv4 fragment");
        }
    }
    // Don't-fragment alone, or no flag at all, is a whole datagram.
    EXPECT_EQ(classify(frame_of({.fragment = 0})).kind, GuestFrame::Kind::new_flow);
    EXPECT_EQ(classify(frame_of({.fragment = 0x4000})).kind, GuestFrame::Kind::new_flow);
}

TEST(GuestFrame, IpOptionsMoveTheTransportHeader) {
    GuestFrame const frame = classify(frame_of({.destination_port = 8443, .ip_options = 12}));
    EXPECT_EQ(frame.kind, GuestFrame::Kind::new_flow);
    EXPECT_EQ(frame.flow.destination_port, 8443);
    Bytes const query = {1, 2, 3, 4};
    // The payload points into the frame: keep it.
    Bytes const with_options = frame_of({.destination = "10.0.2.3",
                                         .protocol = udp_protocol,
                                         .destination_port = 53,
                                         .payload = query,
                                         .ip_options = 40});
    GuestFrame const dns = classify(with_options);
    ASSERT_EQ(dns.kind, GuestFrame::Kind::dns_query);
    EXPECT_EQ(Bytes(dns.payload.begin(), dns.payload.end()), query);
}

// Cut short anywhere, a frame is never read past its end and never starts a flow.
TEST(GuestFrame, TruncatedFramesAreDroppedAtEveryLength) {
    for (auto const& whole :
         {frame_of({.payload = {1, 2, 3}}), frame_of({.flags = ack}),
          udp_frame("10.0.2.3", 53, Bytes(40, 0x55)), udp_frame("192.0.2.7", 9, {1}),
          frame_of({.ip_options = 20}), frame_of({.protocol = icmp_protocol})}) {
        for (std::size_t size = 0; size < whole.size(); ++size) {
            // A copy of exactly `size` bytes, so ASan sees a read past it.
            Bytes const cut(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(size));
            EXPECT_EQ(classify(cut).kind, GuestFrame::Kind::drop) << size;
            EXPECT_TRUE(refusal_for(cut).empty()) << size;
            EXPECT_TRUE(udp_reply_to(cut, Bytes{1, 2}).empty()) << size;
        }
    }
    Bytes const arp = arp_request();
    for (std::size_t size = 0; size < eth; ++size) {
        EXPECT_EQ(
            classify(Bytes(arp.begin(), arp.begin() + static_cast<std::ptrdiff_t>(size))).kind,
            GuestFrame::Kind::drop);
    }
}

TEST(GuestFrame, OversizedFramesAreDropped) {
    Bytes frame = frame_of({});
    frame.resize(max_frame_size + 1);
    EXPECT_EQ(classify(frame).kind, GuestFrame::Kind::drop);
}

TEST(GuestFrame, IpHeaderLiesAreDropped) {
    auto with = [](std::size_t at, std::uint8_t value, Bytes frame) {
        frame.at(at) = value;
        return classify(frame).kind;
    };
    auto with16 = [](std::size_t at, std::uint16_t value, Bytes frame) {
        put16(frame, at, value);
        return classify(frame).kind;
    };
    Bytes const syn_frame = frame_of({.payload = {1, 2, 3, 4}});
    Bytes const dns_frame = udp_frame("10.0.2.3", 53, {1, 2, 3, 4});
    for (Bytes const& frame : {syn_frame, dns_frame}) {
        // IHL below the minimum, and IHLs past the total length or the frame.
        for (std::uint8_t ihl = 0; ihl < 5; ++ihl) {
            EXPECT_EQ(with(eth, static_cast<std::uint8_t>(0x40 | ihl), frame),
                      GuestFrame::Kind::drop);
        }
        EXPECT_EQ(with(eth, 0x4f, frame), GuestFrame::Kind::drop);
        // Another IP version under the IPv4 ethertype.
        EXPECT_EQ(with(eth, 0x65, frame), GuestFrame::Kind::drop);
        // Total length: past the frame, below the header.
        std::uint16_t const total = be16(frame, eth + 2);
        EXPECT_EQ(with16(eth + 2, static_cast<std::uint16_t>(total + 1), frame),
                  GuestFrame::Kind::drop);
        EXPECT_EQ(with16(eth + 2, 0xffff, frame), GuestFrame::Kind::drop);
        EXPECT_EQ(with16(eth + 2, 19, frame), GuestFrame::Kind::drop);
        EXPECT_EQ(with16(eth + 2, 0, frame), GuestFrame::Kind::drop);
        // A total length that leaves no room for the transport header.
        EXPECT_EQ(with16(eth + 2, 20, frame), GuestFrame::Kind::drop);
        EXPECT_EQ(with16(eth + 2, 27, frame), GuestFrame::Kind::drop);
    }
    // A total length shorter than the frame: the rest is padding, and a TCP header must fit.
    EXPECT_EQ(with16(eth + 2, 39, syn_frame), GuestFrame::Kind::drop);
    EXPECT_EQ(with16(eth + 2, 40, syn_frame), GuestFrame::Kind::new_flow);
}

TEST(GuestFrame, TcpDataOffsetLiesAreDropped) {
    Bytes frame = frame_of({.payload = {1, 2, 3, 4}});
    std::size_t const doff = eth + 20 + 12;
    for (std::uint8_t words : {0, 1, 4, 7, 15}) {
        frame[doff] = static_cast<std::uint8_t>(words << 4);
        EXPECT_EQ(classify(frame).kind, GuestFrame::Kind::drop) << int{words};
    }
    // Six words: the header takes the four payload bytes as options.
    frame[doff] = 6 << 4;
    EXPECT_EQ(classify(frame).kind, GuestFrame::Kind::new_flow);
}

TEST(GuestFrame, UdpLengthLiesAreDropped) {
    Bytes const frame = udp_frame("10.0.2.3", 53, {1, 2, 3, 4});
    std::size_t const length_at = eth + 20 + 4;
    for (std::uint16_t length : {0, 1, 7, 13, 0xffff}) {
        Bytes lie = frame;
        put16(lie, length_at, length);
        EXPECT_EQ(classify(lie).kind, GuestFrame::Kind::drop) << length;
        EXPECT_STREQ(classify(lie).reason, "malformed UDP header");
    }
    // Shorter than the IP payload: the datagram is what the UDP length says.
    Bytes shorter = frame;
    put16(shorter, length_at, 10);
    GuestFrame const classified = classify(shorter);
    ASSERT_EQ(classified.kind, GuestFrame::Kind::dns_query);
    EXPECT_EQ(Bytes(classified.payload.begin(), classified.payload.end()), (Bytes{1, 2}));
    Bytes exact = frame;
    put16(exact, length_at, 8);
    EXPECT_TRUE(classify(exact).payload.empty());
}

TEST(GuestFrame, RefusingASynIsAResetWithValidChecksums) {
    Bytes const frame = frame_of({.flags = syn, .seq = 0xffffffff});
    Bytes const reset = refusal_for(frame);
    ASSERT_EQ(reset.size(), eth + 20u + 20u);
    // Ethernet: back to the guest, from the gateway.
    EXPECT_TRUE(std::equal(guest_mac.begin(), guest_mac.end(), reset.begin()));
    EXPECT_TRUE(std::equal(gateway_mac.begin(), gateway_mac.end(), reset.begin() + 6));
    EXPECT_EQ(be16(reset, 12), 0x0800);
    // IPv4: addresses swapped, TCP, whole.
    EXPECT_EQ(reset[eth], 0x45);
    EXPECT_EQ(be16(reset, eth + 2), 40);
    EXPECT_EQ(be16(reset, eth + 6) & 0x3fff, 0);
    EXPECT_EQ(reset[eth + 9], tcp_protocol);
    EXPECT_NE(reset[eth + 8], 0);
    EXPECT_TRUE(
        std::equal(reset.begin() + eth + 12, reset.begin() + eth + 16, frame.begin() + eth + 16));
    EXPECT_TRUE(
        std::equal(reset.begin() + eth + 16, reset.begin() + eth + 20, frame.begin() + eth + 12));
    EXPECT_TRUE(ipv4_checksum_valid(reset));
    // TCP: ports swapped, RST+ACK acknowledging the SYN (wrapping), seq 0 as the SYN had no ACK.
    std::size_t const tcp = eth + 20;
    EXPECT_EQ(be16(reset, tcp), 443);
    EXPECT_EQ(be16(reset, tcp + 2), 40000);
    EXPECT_EQ(be32(reset, tcp + 4), 0u);
    EXPECT_EQ(be32(reset, tcp + 8), 0u);
    EXPECT_EQ(reset[tcp + 12], 5 << 4);
    EXPECT_EQ(reset[tcp + 13], rst | ack);
    EXPECT_TRUE(transport_checksum_valid(reset));

    // The classifier's view of the reset: a segment that starts nothing.
    EXPECT_EQ(classify_guest_frame(reset, resolver).kind, GuestFrame::Kind::pass);
}

TEST(GuestFrame, ResetAcknowledgesDataAndFin) {
    Bytes const frame = frame_of(
        {.flags = ack | psh | fin, .seq = 5000, .ack_number = 777, .payload = Bytes(10, 'x')});
    Bytes const reset = refusal_for(frame);
    ASSERT_EQ(reset.size(), 54u);
    std::size_t const tcp = eth + 20;
    EXPECT_EQ(be32(reset, tcp + 4), 777u);
    EXPECT_EQ(be32(reset, tcp + 8), 5011u);
    EXPECT_TRUE(ipv4_checksum_valid(reset));
    EXPECT_TRUE(transport_checksum_valid(reset));
}

TEST(GuestFrame, RefusingTcpToTheResolverIsAReset) {
    Bytes const frame = frame_of({.destination = "10.0.2.3", .destination_port = 53, .seq = 41});
    ASSERT_EQ(classify(frame).kind, GuestFrame::Kind::refuse);
    Bytes const reset = refusal_for(frame);
    ASSERT_EQ(reset.size(), 54u);
    EXPECT_EQ(reset[eth + 20 + 13], rst | ack);
    EXPECT_EQ(be32(reset, eth + 20 + 8), 42u);
    EXPECT_EQ(be16(reset, eth + 20), 53);
    EXPECT_TRUE(transport_checksum_valid(reset));
}

TEST(GuestFrame, RefusingUdpIsIcmpProhibitedQuotingTheDatagram) {
    for (std::size_t options : {0, 8}) {
        Bytes const frame = frame_of({.destination = "192.0.2.53",
                                      .protocol = udp_protocol,
                                      .destination_port = 53,
                                      .payload = Bytes(30, 0xab),
                                      .ip_options = options});
        ASSERT_EQ(classify(frame).kind, GuestFrame::Kind::new_flow);
        Bytes const icmp = refusal_for(frame);
        std::size_t const quoted = 20 + options + 8;
        ASSERT_EQ(icmp.size(), eth + 20 + 8 + quoted);
        EXPECT_TRUE(std::equal(guest_mac.begin(), guest_mac.end(), icmp.begin()));
        EXPECT_EQ(be16(icmp, eth + 2), 20 + 8 + quoted);
        EXPECT_EQ(icmp[eth + 9], icmp_protocol);
        EXPECT_TRUE(
            std::equal(icmp.begin() + eth + 12, icmp.begin() + eth + 16, frame.begin() + eth + 16));
        EXPECT_TRUE(
            std::equal(icmp.begin() + eth + 16, icmp.begin() + eth + 20, frame.begin() + eth + 12));
        EXPECT_TRUE(ipv4_checksum_valid(icmp));
        std::size_t const at = eth + 20;
        EXPECT_EQ(icmp[at], 3);      // destination unreachable
        EXPECT_EQ(icmp[at + 1], 13); // communication administratively prohibited
        EXPECT_EQ(be32(icmp, at + 4), 0u);
        EXPECT_EQ(ones_sum(icmp, at, icmp.size()), 0xffff);
        // The original IP header, options included, and the first 8 bytes after it.
        EXPECT_TRUE(std::equal(icmp.begin() + static_cast<std::ptrdiff_t>(at + 8), icmp.end(),
                               frame.begin() + eth));
        // What the guest sees: ICMP, which the classifier drops if it ever came back.
        EXPECT_EQ(classify(icmp).kind, GuestFrame::Kind::drop);
    }
}

TEST(GuestFrame, IcmpQuotesLessWhenTheDatagramIsShort) {
    // An IP payload of 8 bytes (a bare UDP header) quotes exactly those.
    Bytes const frame = udp_frame("192.0.2.53", 9, {});
    Bytes const icmp = refusal_for(frame);
    ASSERT_EQ(icmp.size(), eth + 20 + 8 + 28u);
    EXPECT_TRUE(std::equal(icmp.begin() + eth + 28, icmp.end(), frame.begin() + eth));
}

TEST(GuestFrame, RefusalOfGarbageIsNothing) {
    EXPECT_TRUE(refusal_for(Bytes{}).empty());
    EXPECT_TRUE(refusal_for(arp_request()).empty());
    Bytes v6 = frame_of({});
    v6[eth] = 0x65;
    EXPECT_TRUE(refusal_for(v6).empty());
}

TEST(GuestFrame, UdpReplySwapsAddressesAndPortsWithAValidChecksum) {
    Bytes const query = udp_frame("10.0.2.3", 53, {9, 9, 9});
    Bytes const answer = {0xde, 0xad, 0xbe, 0xef, 0x01};
    Bytes const reply = udp_reply_to(query, answer);
    ASSERT_EQ(reply.size(), eth + 20 + 8 + answer.size());
    EXPECT_TRUE(std::equal(guest_mac.begin(), guest_mac.end(), reply.begin()));
    EXPECT_TRUE(std::equal(gateway_mac.begin(), gateway_mac.end(), reply.begin() + 6));
    EXPECT_EQ(be16(reply, eth + 2), 20 + 8 + answer.size());
    EXPECT_EQ(reply[eth + 9], udp_protocol);
    EXPECT_TRUE(ipv4_checksum_valid(reply));
    EXPECT_TRUE(std::equal(reply.begin() + eth + 12, reply.begin() + eth + 16,
                           ip("10.0.2.3").bytes.begin()));
    EXPECT_TRUE(std::equal(reply.begin() + eth + 16, reply.begin() + eth + 20,
                           ip("10.0.2.15").bytes.begin()));
    std::size_t const udp = eth + 20;
    EXPECT_EQ(be16(reply, udp), 53);
    EXPECT_EQ(be16(reply, udp + 2), 40000);
    EXPECT_EQ(be16(reply, udp + 4), 8 + answer.size());
    EXPECT_NE(be16(reply, udp + 6), 0);
    EXPECT_TRUE(transport_checksum_valid(reply));
    EXPECT_TRUE(std::equal(reply.begin() + udp + 8, reply.end(), answer.begin()));

    // A bigger answer, odd-sized, over a query with IP options.
    Bytes const big(1471, 0x5a);
    Bytes const with_options = frame_of({.destination = "10.0.2.3",
                                         .protocol = udp_protocol,
                                         .destination_port = 53,
                                         .payload = {1},
                                         .ip_options = 4});
    Bytes const long_reply = udp_reply_to(with_options, big);
    ASSERT_EQ(long_reply.size(), eth + 20 + 8 + big.size());
    EXPECT_TRUE(ipv4_checksum_valid(long_reply));
    EXPECT_TRUE(transport_checksum_valid(long_reply));
}

TEST(GuestFrame, UdpReplyOnlyAnswersUdp) {
    EXPECT_TRUE(udp_reply_to(frame_of({}), Bytes{1}).empty());
    EXPECT_TRUE(udp_reply_to(arp_request(), Bytes{1}).empty());
    EXPECT_TRUE(udp_reply_to(Bytes{}, Bytes{1}).empty());
}

} // namespace
} // namespace microvm::runner::net
