// The guest's Ethernet frames (runner/net/guest_frames.hpp), which the egress filter reads
// before libslirp does: a hostile guest writes every byte. Input: one frame.
//
// Checked: a dns_query's payload lies inside the frame; the refusal of a new flow (or of TCP to
// the resolver) is a well-formed frame back to the sender, a TCP RST+ACK of 54 bytes or an ICMP
// "prohibited" quoting the IP header and at most 8 bytes after it, with valid IPv4, TCP and ICMP
// checksums, and the classifier never takes it for a new flow; the reply to a DNS query carries
// exactly the payload given, from the address and port the query went to, with valid checksums.
#include <algorithm>
#include <span>
#include <vector>

#include "fuzz_support.hpp"
#include "runner/net/guest_frames.hpp"

using namespace microvm;
using namespace microvm::runner::net;

namespace {

using Bytes = std::span<std::uint8_t const>;

constexpr std::size_t eth = 14;

std::uint16_t be16(Bytes bytes, std::size_t at) {
    return static_cast<std::uint16_t>(bytes[at] << 8 | bytes[at + 1]);
}

// The one's complement sum of `bytes`, continuing from `sum`, folded.
std::uint16_t ones_sum(Bytes bytes, std::uint32_t sum = 0) {
    for (std::size_t i = 0; i < bytes.size(); i += 2) {
        sum += std::uint32_t{bytes[i]} << 8 | (i + 1 < bytes.size() ? bytes[i + 1] : 0);
    }
    while (sum >> 16 != 0) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return static_cast<std::uint16_t>(sum);
}

// A frame this file's code wrote: Ethernet, a 20-byte IPv4 header with a valid checksum and a
// total length that is the rest of the frame, addressed back to `original`'s sender. Returns the
// transport bytes.
Bytes check_reply_frame(Bytes reply, Bytes original, std::uint8_t protocol, char const* what) {
    std::string const name = what;
    if (reply.size() < eth + 20) {
        fuzz::finding(name + ": a frame of " + std::to_string(reply.size()) + " bytes");
    }
    Bytes const ip = reply.subspan(eth);
    if (be16(reply, 12) != 0x0800 || ip[0] != 0x45 || be16(ip, 2) != ip.size() ||
        ip[9] != protocol || (be16(ip, 6) & 0x3fff) != 0 || ip[8] == 0) {
        fuzz::finding(name + ": a malformed IPv4 header");
    }
    if (ones_sum(ip.first(20)) != 0xffff) {
        fuzz::finding(name + ": a bad IPv4 header checksum");
    }
    if (!std::equal(reply.begin(), reply.begin() + 6, original.begin() + 6) ||
        !std::equal(reply.begin() + 6, reply.begin() + 12, original.begin())) {
        fuzz::finding(name + ": Ethernet addresses not swapped");
    }
    Bytes const original_ip = original.subspan(eth);
    if (!std::equal(ip.begin() + 12, ip.begin() + 16, original_ip.begin() + 16) ||
        !std::equal(ip.begin() + 16, ip.begin() + 20, original_ip.begin() + 12)) {
        fuzz::finding(name + ": IP addresses not swapped");
    }
    return ip.subspan(20);
}

void check_transport_checksum(Bytes reply, Bytes transport, std::uint8_t protocol,
                              char const* what) {
    std::uint32_t const pseudo = ones_sum(reply.subspan(eth + 12, 8)) + protocol +
                                 static_cast<std::uint32_t>(transport.size());
    if (ones_sum(transport, pseudo) != 0xffff) {
        fuzz::finding(std::string(what) + ": a bad transport checksum");
    }
}

void check_refusal(Bytes frame, GuestFrame const& classified, IpAddress const& resolver) {
    std::vector<std::uint8_t> const reply = refusal_for(frame);
    if (reply.empty()) {
        fuzz::finding("no refusal for a frame classified as a new flow");
    }
    Bytes const original_ip = frame.subspan(eth);
    std::size_t const header = std::size_t{original_ip[0] & 0x0fu} * 4;
    std::size_t const ip_payload = be16(original_ip, 2) - header;
    if (classified.flow.protocol == Protocol::tcp) {
        Bytes const tcp = check_reply_frame(reply, frame, 6, "TCP reset");
        if (tcp.size() != 20 || tcp[12] != 0x50 || tcp[13] != (0x04 | 0x10)) {
            fuzz::finding("TCP reset: a malformed TCP header");
        }
        if (be16(tcp, 0) != classified.flow.destination_port ||
            be16(tcp, 2) != classified.flow.source_port) {
            fuzz::finding("TCP reset: ports not swapped");
        }
        check_transport_checksum(reply, tcp, 6, "TCP reset");
        auto const again = classify_guest_frame(reply, resolver).kind;
        if (again == GuestFrame::Kind::new_flow || again == GuestFrame::Kind::refuse) {
            fuzz::finding("TCP reset: classified as starting a flow");
        }
    } else {
        Bytes const icmp = check_reply_frame(reply, frame, 1, "ICMP prohibited");
        std::size_t const quoted = header + std::min<std::size_t>(8, ip_payload);
        if (icmp.size() != 8 + quoted || icmp[0] != 3 || icmp[1] != 13 ||
            !std::equal(icmp.begin() + 8, icmp.end(), original_ip.begin())) {
            fuzz::finding("ICMP prohibited: does not quote the datagram");
        }
        if (ones_sum(icmp) != 0xffff) {
            fuzz::finding("ICMP prohibited: a bad ICMP checksum");
        }
        if (classify_guest_frame(reply, resolver).kind != GuestFrame::Kind::drop) {
            fuzz::finding("ICMP prohibited: not dropped by the classifier");
        }
    }
}

void check_dns_reply(Bytes frame, GuestFrame const& classified, IpAddress const& resolver) {
    if (classified.payload.data() < frame.data() ||
        classified.payload.data() + classified.payload.size() > frame.data() + frame.size()) {
        fuzz::finding("dns_query: the payload is not inside the frame");
    }
    // Some answer the size of a DNS answer: the frame's own bytes, at most a datagram's worth.
    Bytes const answer = frame.first(std::min<std::size_t>(frame.size(), 1472));
    std::vector<std::uint8_t> const reply = udp_reply_to(frame, answer);
    Bytes const udp = check_reply_frame(reply, frame, 17, "DNS reply");
    if (udp.size() != 8 + answer.size() || be16(udp, 4) != udp.size() ||
        !std::equal(udp.begin() + 8, udp.end(), answer.begin())) {
        fuzz::finding("DNS reply: does not carry the answer");
    }
    if (be16(udp, 0) != 53 || be16(udp, 2) != classified.flow.source_port) {
        fuzz::finding("DNS reply: ports not swapped");
    }
    if (be16(udp, 6) == 0) {
        fuzz::finding("DNS reply: no UDP checksum");
    }
    check_transport_checksum(reply, udp, 17, "DNS reply");
    // Read back as the guest's own frame would be: a datagram (to the resolver's port 53 too,
    // when the query came from there), from the resolver's port 53.
    GuestFrame const again = classify_guest_frame(reply, resolver);
    if ((again.kind != GuestFrame::Kind::new_flow && again.kind != GuestFrame::Kind::dns_query) ||
        again.flow.protocol != Protocol::udp || again.flow.source != resolver ||
        again.flow.source_port != 53 ||
        again.flow.destination_port != classified.flow.source_port) {
        fuzz::finding("DNS reply: the classifier reads it differently");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    static IpAddress const resolver = IpAddress::v4(0x0a000203);
    Bytes const frame(data, size);
    GuestFrame const classified = classify_guest_frame(frame, resolver);
    switch (classified.kind) {
    case GuestFrame::Kind::new_flow:
    case GuestFrame::Kind::refuse:
        if (classified.kind == GuestFrame::Kind::refuse &&
            (classified.flow.destination != resolver ||
             classified.flow.protocol != Protocol::tcp)) {
            fuzz::finding("refuse: not TCP to the resolver");
        }
        check_refusal(frame, classified, resolver);
        break;
    case GuestFrame::Kind::dns_query:
        if (classified.flow.destination != resolver || classified.flow.destination_port != 53 ||
            classified.flow.protocol != Protocol::udp) {
            fuzz::finding("dns_query: not UDP to the resolver's port 53");
        }
        check_dns_reply(frame, classified, resolver);
        break;
    case GuestFrame::Kind::pass:
    case GuestFrame::Kind::drop:
        // Whatever the caller should not do, it must not crash either.
        (void)refusal_for(frame);
        (void)udp_reply_to(frame, frame.first(std::min<std::size_t>(size, 64)));
        break;
    }
    return 0;
}
