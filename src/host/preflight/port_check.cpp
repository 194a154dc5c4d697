// "ports": each forwarded host port must be free before the VM boots, so a clash fails at once
// and names who holds the port, instead of surfacing later as a VM without its forward.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "base/fd.hpp"
#include "host/preflight/checks.hpp"
#include "host/preflight/port_holder.hpp"

namespace microvm::preflight {
namespace {

std::string describe(PortForward const& port) {
    bool const ipv6 = port.host_address.find(':') != std::string::npos;
    std::string const address = ipv6 ? "[" + port.host_address + "]" : port.host_address;
    return address + ":" + std::to_string(port.host) + "/" + to_string(port.protocol);
}

// Binds a throw-away socket the way the forward will: TCP with SO_REUSEADDR, as QEMU's
// user-mode network does, so a port left in TIME_WAIT by an earlier VM does not count as taken
// while a listener still does.
int try_bind(PortForward const& port) {
    sockaddr_storage storage{};
    socklen_t length = 0;
    int family = AF_INET;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
    if (::inet_pton(AF_INET, port.host_address.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port.host);
        length = sizeof *v4;
    } else if (::inet_pton(AF_INET6, port.host_address.c_str(), &v6->sin6_addr) == 1) {
        family = AF_INET6;
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port.host);
        length = sizeof *v6;
    } else {
        return EINVAL;
    }
    int const type = port.protocol == Protocol::tcp ? SOCK_STREAM : SOCK_DGRAM;
    base::Fd socket(::socket(family, type | SOCK_CLOEXEC, 0));
    if (!socket) {
        return errno;
    }
    if (port.protocol == Protocol::tcp) {
        int const on = 1;
        ::setsockopt(socket.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    }
    if (::bind(socket.get(), reinterpret_cast<sockaddr*>(&storage), length) != 0) {
        return errno;
    }
    return 0;
}

} // namespace

Result<void> check_port(PortForward const& port) {
    int const error = try_bind(port);
    if (error == 0) {
        return {};
    }
    std::string const what = "host port " + describe(port);
    if (error == EADDRINUSE) {
        auto const holder = find_port_holder(port.protocol, port.host_address, port.host);
        if (holder) {
            return fail(what + " is in use by pid " + std::to_string(holder->pid) + " (" +
                        holder->command + ")");
        }
        return fail(what + " is in use (by a process this user cannot see, or in another "
                           "network namespace)");
    }
    if (error == EADDRNOTAVAIL) {
        return fail(what + ": " + port.host_address + " is not an address of this host");
    }
    if (error == EACCES) {
        return fail_errno(what + ": ports below 1024 need privilege", error);
    }
    return fail_errno(what + ": bind", error);
}

} // namespace microvm::preflight
