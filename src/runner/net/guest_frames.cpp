#include "runner/net/guest_frames.hpp"

#include <algorithm>
#include <optional>

namespace microvm::runner::net {

namespace {

constexpr std::size_t ethernet_header = 14;
constexpr std::size_t ipv4_header = 20;
constexpr std::size_t tcp_header = 20;
constexpr std::size_t udp_header = 8;
constexpr std::size_t icmp_header = 8;
constexpr std::uint16_t ethertype_ipv4 = 0x0800;
constexpr std::uint16_t ethertype_arp = 0x0806;
constexpr std::uint8_t ip_protocol_icmp = 1;
constexpr std::uint8_t ip_protocol_tcp = 6;
constexpr std::uint8_t ip_protocol_udp = 17;
constexpr std::uint8_t tcp_fin = 0x01;
constexpr std::uint8_t tcp_syn = 0x02;
constexpr std::uint8_t tcp_rst = 0x04;
constexpr std::uint8_t tcp_ack = 0x10;
constexpr std::uint8_t tcp_urg = 0x20;
constexpr std::uint8_t default_ttl = 64;

using Bytes = std::span<std::uint8_t const>;

std::uint16_t be16(Bytes bytes, std::size_t at) {
    return static_cast<std::uint16_t>(bytes[at] << 8 | bytes[at + 1]);
}

// A TCP header's length, from its data offset field.
std::size_t tcp_header_length(Bytes tcp) {
    return std::size_t{static_cast<std::uint8_t>(tcp[12] >> 4)} * 4;
}

std::uint32_t be32(Bytes bytes, std::size_t at) {
    return std::uint32_t{be16(bytes, at)} << 16 | be16(bytes, at + 2);
}

void put16(std::vector<std::uint8_t>& out, std::size_t at, std::uint16_t value) {
    out[at] = static_cast<std::uint8_t>(value >> 8);
    out[at + 1] = static_cast<std::uint8_t>(value);
}

void put32(std::vector<std::uint8_t>& out, std::size_t at, std::uint32_t value) {
    put16(out, at, static_cast<std::uint16_t>(value >> 16));
    put16(out, at + 2, static_cast<std::uint16_t>(value));
}

IpAddress ipv4_at(Bytes bytes, std::size_t at) {
    IpAddress address;
    std::copy_n(bytes.begin() + static_cast<std::ptrdiff_t>(at), 4, address.bytes.begin());
    return address;
}

// The Internet checksum (RFC 1071) of `bytes`, continuing from `sum`.
std::uint32_t add_to_sum(std::uint32_t sum, Bytes bytes) {
    for (std::size_t i = 0; i + 1 < bytes.size(); i += 2) {
        sum += be16(bytes, i);
    }
    if (bytes.size() % 2 != 0) {
        sum += std::uint32_t{bytes.back()} << 8;
    }
    return sum;
}

std::uint16_t fold(std::uint32_t sum) {
    while (sum >> 16 != 0) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return static_cast<std::uint16_t>(~sum);
}

// The parts of a guest's IPv4 frame this file reads, located and bounds-checked once.
struct Ipv4Frame {
    Bytes frame;
    Bytes header;
    Bytes payload;
    std::uint8_t protocol = 0;
};

std::optional<Ipv4Frame> parse_ipv4(Bytes frame, char const*& reason) {
    if (frame.size() < ethernet_header + ipv4_header) {
        reason = "short IPv4 frame";
        return std::nullopt;
    }
    Bytes const ip = frame.subspan(ethernet_header);
    std::size_t const header_length = std::size_t{ip[0] & 0x0fu} * 4;
    std::size_t const total_length = be16(ip, 2);
    if (ip[0] >> 4 != 4 || header_length < ipv4_header || total_length < header_length ||
        total_length > ip.size()) {
        reason = "malformed IPv4 header";
        return std::nullopt;
    }
    // A fragment's transport header can be missing or rewritten by a later fragment; nothing
    // the guest needs is sent in fragments (TCP uses its MSS, DNS answers fit a datagram).
    if ((be16(ip, 6) & 0x3fff) != 0) {
        reason = "IPv4 fragment";
        return std::nullopt;
    }
    return Ipv4Frame{.frame = frame,
                     .header = ip.first(header_length),
                     .payload = ip.subspan(header_length, total_length - header_length),
                     .protocol = ip[9]};
}

std::optional<Ipv4Frame> parse_classified(Bytes frame) {
    char const* reason = "";
    return parse_ipv4(frame, reason);
}

// A guest-bound frame answering `original`: Ethernet and IPv4 headers with the addresses
// swapped, room for `payload_size` bytes of `protocol` after them.
std::vector<std::uint8_t> reply_frame(Ipv4Frame const& original, std::uint8_t protocol,
                                      std::size_t payload_size) {
    std::vector<std::uint8_t> out(ethernet_header + ipv4_header + payload_size);
    std::copy_n(original.frame.begin() + 6, 6, out.begin());
    std::copy_n(original.frame.begin(), 6, out.begin() + 6);
    put16(out, 12, ethertype_ipv4);
    std::size_t const ip = ethernet_header;
    out[ip] = 0x45;
    put16(out, ip + 2, static_cast<std::uint16_t>(ipv4_header + payload_size));
    put16(out, ip + 6, 0x4000); // don't fragment
    out[ip + 8] = default_ttl;
    out[ip + 9] = protocol;
    std::copy_n(original.header.begin() + 16, 4, out.begin() + ip + 12);
    std::copy_n(original.header.begin() + 12, 4, out.begin() + ip + 16);
    put16(out, ip + 10, fold(add_to_sum(0, Bytes(out).subspan(ip, ipv4_header))));
    return out;
}

// The TCP or UDP checksum over the pseudo-header and the segment at `at`.
void put_transport_checksum(std::vector<std::uint8_t>& out, std::size_t at,
                            std::size_t checksum_offset, std::uint8_t protocol) {
    std::size_t const length = out.size() - at;
    std::uint32_t sum = add_to_sum(0, Bytes(out).subspan(ethernet_header + 12, 8));
    sum += protocol;
    sum += static_cast<std::uint32_t>(length);
    std::uint16_t checksum = fold(add_to_sum(sum, Bytes(out).subspan(at)));
    if (protocol == ip_protocol_udp && checksum == 0) {
        checksum = 0xffff;
    }
    put16(out, at + checksum_offset, checksum);
}

std::vector<std::uint8_t> tcp_reset(Ipv4Frame const& original) {
    Bytes const tcp = original.payload;
    if (tcp.size() < tcp_header || tcp_header_length(tcp) > tcp.size()) {
        return {};
    }
    std::size_t const data_offset = tcp_header_length(tcp);
    std::uint8_t const flags = tcp[13];
    std::uint32_t consumed = static_cast<std::uint32_t>(tcp.size() - data_offset);
    consumed += (flags & tcp_syn) != 0 ? 1 : 0;
    consumed += (flags & tcp_fin) != 0 ? 1 : 0;
    auto out = reply_frame(original, ip_protocol_tcp, tcp_header);
    std::size_t const at = ethernet_header + ipv4_header;
    put16(out, at, be16(tcp, 2));
    put16(out, at + 2, be16(tcp, 0));
    put32(out, at + 4, (flags & tcp_ack) != 0 ? be32(tcp, 8) : 0);
    put32(out, at + 8, be32(tcp, 4) + consumed);
    out[at + 12] = 5 << 4;
    out[at + 13] = tcp_rst | tcp_ack;
    put_transport_checksum(out, at, 16, ip_protocol_tcp);
    return out;
}

std::vector<std::uint8_t> icmp_prohibited(Ipv4Frame const& original) {
    std::size_t const quoted =
        original.header.size() + std::min<std::size_t>(8, original.payload.size());
    auto out = reply_frame(original, ip_protocol_icmp, icmp_header + quoted);
    std::size_t const at = ethernet_header + ipv4_header;
    out[at] = 3;      // destination unreachable
    out[at + 1] = 13; // communication administratively prohibited
    // The original header and the first bytes of its payload, which follow it in the frame.
    Bytes const original_ip = original.frame.subspan(ethernet_header, quoted);
    std::copy(original_ip.begin(), original_ip.end(),
              out.begin() + static_cast<std::ptrdiff_t>(at + icmp_header));
    put16(out, at + 2, fold(add_to_sum(0, Bytes(out).subspan(at))));
    return out;
}

} // namespace

GuestFrame classify_guest_frame(Bytes frame, IpAddress const& resolver) {
    GuestFrame result;
    if (frame.size() < ethernet_header || frame.size() > max_frame_size) {
        result.reason = "frame size";
        return result;
    }
    std::uint16_t const ethertype = be16(frame, 12);
    if (ethertype == ethertype_arp) {
        result.kind = GuestFrame::Kind::pass;
        return result;
    }
    if (ethertype != ethertype_ipv4) {
        result.reason = "not IPv4 or ARP";
        return result;
    }
    auto const ip = parse_ipv4(frame, result.reason);
    if (!ip) {
        return result;
    }
    Flow& flow = result.flow;
    flow.source = ipv4_at(ip->header, 12);
    flow.destination = ipv4_at(ip->header, 16);
    Bytes const l4 = ip->payload;
    if (ip->protocol == ip_protocol_tcp) {
        if (l4.size() < tcp_header || tcp_header_length(l4) < tcp_header ||
            tcp_header_length(l4) > l4.size()) {
            result.reason = "malformed TCP header";
            return result;
        }
        flow.protocol = Protocol::tcp;
        flow.source_port = be16(l4, 0);
        flow.destination_port = be16(l4, 2);
        std::uint8_t const flags = l4[13];
        // What slirp opens a connection for: a SYN alone. A SYN with RST, FIN or URG starts
        // nothing there (slirp resets it) and is dropped here, so it is not counted either.
        std::uint8_t constexpr start_flags = tcp_syn | tcp_ack | tcp_rst | tcp_fin | tcp_urg;
        bool const starts = (flags & start_flags) == tcp_syn;
        if ((flags & tcp_syn) != 0 && (flags & tcp_ack) == 0 && !starts) {
            result.reason = "SYN with RST, FIN or URG";
            return result;
        }
        if (flow.destination == resolver) {
            result.kind = starts ? GuestFrame::Kind::refuse : GuestFrame::Kind::drop;
            result.reason = "TCP to the resolver";
        } else {
            result.kind = starts ? GuestFrame::Kind::new_flow : GuestFrame::Kind::pass;
        }
        return result;
    }
    if (ip->protocol == ip_protocol_udp) {
        std::size_t const length = l4.size() >= udp_header ? be16(l4, 4) : 0;
        if (length < udp_header || length > l4.size()) {
            result.reason = "malformed UDP header";
            return result;
        }
        flow.protocol = Protocol::udp;
        flow.source_port = be16(l4, 0);
        flow.destination_port = be16(l4, 2);
        if (flow.destination == resolver && flow.destination_port == 53) {
            result.kind = GuestFrame::Kind::dns_query;
            result.payload = l4.subspan(udp_header, length - udp_header);
        } else {
            result.kind = GuestFrame::Kind::new_flow;
        }
        return result;
    }
    result.reason = ip->protocol == ip_protocol_icmp ? "ICMP" : "IP protocol other than TCP/UDP";
    return result;
}

std::vector<std::uint8_t> refusal_for(Bytes frame) {
    auto const original = parse_classified(frame);
    if (!original) {
        return {};
    }
    return original->protocol == ip_protocol_tcp ? tcp_reset(*original)
                                                 : icmp_prohibited(*original);
}

std::vector<std::uint8_t> udp_reply_to(Bytes query_frame, Bytes payload) {
    auto const parsed = parse_classified(query_frame);
    if (!parsed || parsed->protocol != ip_protocol_udp || parsed->payload.size() < udp_header ||
        payload.size() > max_frame_size - ethernet_header - ipv4_header - udp_header) {
        return {};
    }
    Ipv4Frame const& original = *parsed;
    auto out = reply_frame(original, ip_protocol_udp, udp_header + payload.size());
    std::size_t const at = ethernet_header + ipv4_header;
    put16(out, at, be16(original.payload, 2));
    put16(out, at + 2, be16(original.payload, 0));
    put16(out, at + 4, static_cast<std::uint16_t>(udp_header + payload.size()));
    std::copy(payload.begin(), payload.end(),
              out.begin() + static_cast<std::ptrdiff_t>(at + udp_header));
    put_transport_checksum(out, at, 6, ip_protocol_udp);
    return out;
}

} // namespace microvm::runner::net
