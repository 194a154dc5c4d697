// Who holds a host port: /proc/net/{tcp,tcp6,udp,udp6} give the socket's inode, and the
// /proc/PID/fd link "socket:[INODE]" gives the process. Processes of other users are only
// visible to root, and sockets of other network namespaces not at all, so a holder may stay
// unknown: callers then name the port alone.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <microvm/options.hpp>

namespace microvm::preflight {

// One line of a /proc/net/{tcp,udp}[6] table.
struct ProcNetSocket {
    std::array<unsigned char, 16> address{}; // IPv4 in the first 4 bytes
    bool ipv6 = false;
    std::uint16_t port = 0;
    unsigned state = 0; // TCP_LISTEN is 0x0A
    ino_t inode = 0;    // 0 for sockets no process owns (TIME_WAIT)
};

// Parses the text of such a table; malformed lines are skipped.
std::vector<ProcNetSocket> parse_proc_net(std::string_view text, bool ipv6);

struct PortHolder {
    pid_t pid = 0;
    std::string command; // /proc/PID/comm
};

// The process with a descriptor on the socket `inode`, scanning /proc.
std::optional<PortHolder> find_socket_owner(ino_t inode);

// The process holding `port`/`protocol` on an address that clashes with `host_address` (the
// same, or either is a wildcard): for TCP a listening socket first, else any bound one.
std::optional<PortHolder> find_port_holder(Protocol protocol, std::string const& host_address,
                                           std::uint16_t port);

} // namespace microvm::preflight
