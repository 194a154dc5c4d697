// The user-mode network that the qemu engine gives a VM, and the guest's view of it: one place
// for the addresses, because the runner builds QEMU's side of it and the host writes the
// guest's side into /etc/microvm.json.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace microvm::contract {

// QEMU's user networking (slirp) on its classic topology. Every VM has its own slirp instance,
// so every VM can use the same private addresses: they never meet on a shared segment.
struct UserNetworkTopology {
    // The network slirp emulates.
    char const* network_cidr = "10.0.2.0/24";
    // The virtual router, which is also how the guest reaches the host's own loopback
    // (10.0.2.2:PORT is the host's 127.0.0.1:PORT) unless outbound traffic is denied.
    char const* gateway = "10.0.2.2";
    // slirp's DNS forwarder, which relays to the host's resolvers.
    char const* dns = "10.0.2.3";
    // The guest's static address; also the first address slirp's DHCP server would hand out.
    char const* guest_cidr = "10.0.2.15/24";
};
inline constexpr UserNetworkTopology user_network{};

// An IPv4 address with its prefix length: "10.0.2.15/24".
struct Ipv4Cidr {
    in_addr address{};
    unsigned prefix_length = 0;

    // The netmask of the prefix, in network byte order.
    in_addr netmask() const;
};

// Parses dotted-quad IPv4 text. Errors quote the text.
Result<in_addr> parse_ipv4(std::string_view text);

// Parses "a.b.c.d/N" with N in 0..32. Errors quote the text.
Result<Ipv4Cidr> parse_ipv4_cidr(std::string_view text);

// True for an IPv4 or IPv6 address in text form (a DNS server entry).
bool is_ip_address(std::string_view text);

} // namespace microvm::contract
