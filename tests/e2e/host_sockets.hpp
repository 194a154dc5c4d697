// The host side of the e2e network tests: small IPv4 clients with bounded waits, shared by the
// published-port and egress tests.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string>

namespace microvm::e2e {

sockaddr_in ipv4_endpoint(std::string const& address, std::uint16_t port);

// A port nothing on 127.0.0.1 listens on right now (the kernel's pick for an ephemeral bind).
std::uint16_t free_loopback_port(int type);

// One HTTP/1.0 GET of `path` on address:port; the whole response, empty when the connection
// failed or closed before any byte (slirp accepts on the host before the guest listens).
std::string http_get(std::string const& address, std::uint16_t port, std::string const& path);

// One datagram to address:port, and the reply if one comes within a second.
std::string udp_exchange(std::string const& address, std::uint16_t port,
                         std::string const& message);

} // namespace microvm::e2e
