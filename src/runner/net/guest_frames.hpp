// The Ethernet frames between the guest's NIC and the runner's user-mode network, read and
// written at the one level the egress filter needs: which flow a frame starts, and the few
// frames the filter answers itself (a TCP reset, an ICMP "administratively prohibited", a DNS
// answer). Everything else is libslirp's.
//
// A frame comes from a hostile guest: every length is checked against the frame's own size
// before it is read, and a frame that is not what it claims is dropped.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include <microvm/egress.hpp>

namespace microvm::runner::net {

// Ethernet without a VLAN tag, IPv4 without options beyond what IHL says, at most this big.
inline constexpr std::size_t max_frame_size = 65536;

struct Flow {
    IpAddress source;
    IpAddress destination;
    std::uint16_t source_port = 0;
    std::uint16_t destination_port = 0;
    Protocol protocol = Protocol::tcp;
};

struct GuestFrame {
    enum class Kind {
        // On to the network unchanged: ARP, and TCP segments that start nothing (slirp resets
        // those that belong to no connection of its own).
        pass,
        // Silently dropped: IPv6, ICMP, IP fragments, other protocols, malformed frames.
        drop,
        // A UDP datagram to microvm's resolver, port 53: `payload` is the DNS message.
        dns_query,
        // A TCP SYN or a UDP datagram: the policy decides about `flow`.
        new_flow,
        // TCP to microvm's resolver: refused outright (it answers over UDP only).
        refuse,
    };
    Kind kind = Kind::drop;
    Flow flow;
    std::span<std::uint8_t const> payload;
    // drop: why, for a debug line (a string literal).
    char const* reason = "";
};

// Reads a frame the guest sent. `resolver` is microvm's DNS address in the VM's network.
GuestFrame classify_guest_frame(std::span<std::uint8_t const> frame, IpAddress const& resolver);

// The guest-bound reply that refuses the flow `frame` started: a TCP RST+ACK for a TCP segment,
// an ICMP destination-unreachable (communication administratively prohibited) for anything
// else. `frame` must be one classify_guest_frame() called new_flow or refuse.
std::vector<std::uint8_t> refusal_for(std::span<std::uint8_t const> frame);

// A UDP datagram back to the sender of `query_frame` (a dns_query frame), from the address and
// port it was sent to, carrying `payload`.
std::vector<std::uint8_t> udp_reply_to(std::span<std::uint8_t const> query_frame,
                                       std::span<std::uint8_t const> payload);

} // namespace microvm::runner::net
