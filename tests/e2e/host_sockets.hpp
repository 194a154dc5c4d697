// The host side of the e2e network tests: small IPv4 clients with bounded waits, shared by the
// published-port and egress tests.
#pragma once

#include <netinet/in.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "base/fd.hpp"

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

// A TCP listener in the host's own network namespace, on `address` (127.0.0.1 or the test
// network's host address) and a port the kernel picks, that sends its greeting and a newline to
// each connection and counts them. What a guest must not reach through a rebinding answer.
class HostGreeter {
public:
    // Greets with `greeting`, by default "hello-from-ADDRESS".
    explicit HostGreeter(std::string const& address, std::string greeting = {});
    ~HostGreeter();
    HostGreeter(HostGreeter const&) = delete;
    HostGreeter& operator=(HostGreeter const&) = delete;

    // 0 when the listener could not be made.
    std::uint16_t port() const { return m_port; }
    int accepted() const { return m_accepted; }
    std::string const& greeting() const { return m_greeting; }

private:
    void serve();

    std::string m_greeting;
    base::Fd m_fd;
    std::uint16_t m_port = 0;
    std::atomic<bool> m_stop{false};
    std::atomic<int> m_accepted{0};
    std::thread m_thread;
};

} // namespace microvm::e2e
