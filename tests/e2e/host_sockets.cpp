#include "host_sockets.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/fd.hpp"

namespace microvm::e2e {

sockaddr_in ipv4_endpoint(std::string const& address, std::uint16_t port) {
    sockaddr_in result{};
    result.sin_family = AF_INET;
    result.sin_port = htons(port);
    ::inet_pton(AF_INET, address.c_str(), &result.sin_addr);
    return result;
}

std::uint16_t free_loopback_port(int type) {
    base::Fd fd(::socket(AF_INET, type | SOCK_CLOEXEC, 0));
    sockaddr_in address = ipv4_endpoint("127.0.0.1", 0);
    EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    socklen_t size = sizeof address;
    ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &size);
    return ntohs(address.sin_port);
}

std::string http_get(std::string const& address, std::uint16_t port, std::string const& path) {
    base::Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    auto const to = ipv4_endpoint(address, port);
    if (::connect(fd.get(), reinterpret_cast<sockaddr const*>(&to), sizeof to) != 0) {
        return {};
    }
    std::string const request = "GET " + path + " HTTP/1.0\r\n\r\n";
    if (::write(fd.get(), request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
        return {};
    }
    std::string response;
    char buffer[4096];
    pollfd waiting{.fd = fd.get(), .events = POLLIN, .revents = 0};
    while (::poll(&waiting, 1, 10000) == 1) {
        ssize_t const n = ::read(fd.get(), buffer, sizeof buffer);
        if (n <= 0) {
            break;
        }
        response.append(buffer, static_cast<std::size_t>(n));
    }
    return response;
}

std::string udp_exchange(std::string const& address, std::uint16_t port,
                         std::string const& message) {
    base::Fd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    auto const to = ipv4_endpoint(address, port);
    if (::sendto(fd.get(), message.data(), message.size(), 0,
                 reinterpret_cast<sockaddr const*>(&to), sizeof to) < 0) {
        return {};
    }
    pollfd waiting{.fd = fd.get(), .events = POLLIN, .revents = 0};
    if (::poll(&waiting, 1, 1000) != 1) {
        return {};
    }
    char buffer[1024];
    ssize_t const n = ::recv(fd.get(), buffer, sizeof buffer, 0);
    return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
}

HostGreeter::HostGreeter(std::string const& address, std::string greeting)
    : m_greeting(greeting.empty() ? "hello-from-" + address : std::move(greeting)),
      m_fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    auto bound = ipv4_endpoint(address, 0);
    socklen_t size = sizeof bound;
    if (::bind(m_fd.get(), reinterpret_cast<sockaddr*>(&bound), sizeof bound) != 0 ||
        ::listen(m_fd.get(), 8) != 0 ||
        ::getsockname(m_fd.get(), reinterpret_cast<sockaddr*>(&bound), &size) != 0) {
        return;
    }
    m_port = ntohs(bound.sin_port);
    m_thread = std::thread([this] { serve(); });
}

HostGreeter::~HostGreeter() {
    m_stop = true;
    if (m_thread.joinable()) {
        m_thread.join();
    }
}

void HostGreeter::serve() {
    std::string const line = greeting() + "\n";
    while (!m_stop) {
        pollfd waiting{.fd = m_fd.get(), .events = POLLIN, .revents = 0};
        if (::poll(&waiting, 1, 200) != 1) {
            continue;
        }
        base::Fd client(::accept4(m_fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (client) {
            ++m_accepted;
            (void)!::write(client.get(), line.data(), line.size());
        }
    }
}

} // namespace microvm::e2e
