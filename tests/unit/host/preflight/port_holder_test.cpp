// Who holds a port: parsing /proc/net tables, and finding this very process as the holder of
// a socket it bound.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/fd.hpp"
#include "host/preflight/checks.hpp"
#include "host/preflight/port_holder.hpp"
#include "support/readdir_fault.hpp"
#include "support/test_support.hpp"

namespace microvm::preflight {
namespace {

// A socket of this process bound to an ephemeral port of `address`.
struct BoundSocket {
    base::Fd fd;
    std::uint16_t port = 0;
};

BoundSocket bind_socket(int family, int type, char const* address, bool listen) {
    BoundSocket bound{.fd = base::Fd(::socket(family, type | SOCK_CLOEXEC, 0))};
    EXPECT_TRUE(bound.fd.valid());
    sockaddr_storage storage{};
    socklen_t length = 0;
    if (family == AF_INET) {
        auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
        v4->sin_family = AF_INET;
        ::inet_pton(AF_INET, address, &v4->sin_addr);
        length = sizeof *v4;
    } else {
        auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
        v6->sin6_family = AF_INET6;
        ::inet_pton(AF_INET6, address, &v6->sin6_addr);
        length = sizeof *v6;
    }
    EXPECT_EQ(::bind(bound.fd.get(), reinterpret_cast<sockaddr*>(&storage), length), 0);
    if (listen) {
        EXPECT_EQ(::listen(bound.fd.get(), 1), 0);
    }
    EXPECT_EQ(::getsockname(bound.fd.get(), reinterpret_cast<sockaddr*>(&storage), &length), 0);
    bound.port = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&storage)->sin_port
                                         : reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port);
    return bound;
}

std::string my_command() {
    auto comm = test::read_file("/proc/self/comm");
    while (!comm.empty() && comm.back() == '\n') {
        comm.pop_back();
    }
    return comm;
}

std::string in_use_by_me() {
    return "is in use by pid " + std::to_string(::getpid()) + " (" + my_command() + ")";
}

TEST(ProcNet, ParsesTheKernelsTables) {
    auto const v4 = parse_proc_net(
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
        "timeout inode\n"
        "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0  "
        "      0 4242 1 0000000000000000 100 0 0 10 0\n"
        "   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0  "
        "      0 77 1 0000000000000000 100 0 0 10 0\n"
        "garbage line\n",
        false);
    ASSERT_EQ(v4.size(), 2u);
    EXPECT_EQ(v4[0].port, 8080);
    EXPECT_EQ(v4[0].state, 0x0Au);
    EXPECT_EQ(v4[0].inode, 4242u);
    char text[INET_ADDRSTRLEN];
    ASSERT_NE(::inet_ntop(AF_INET, v4[0].address.data(), text, sizeof text), nullptr);
    EXPECT_STREQ(text, "127.0.0.1");
    EXPECT_EQ(v4[1].port, 22);

    auto const v6 = parse_proc_net(
        "  sl  local_address                         remote_address                        st "
        "tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
        "   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A "
        "00000000:00000000 00:00000000 00000000     0        0 99 1 0000000000000000 100 0 0 "
        "10 0\n",
        true);
    ASSERT_EQ(v6.size(), 1u);
    char text6[INET6_ADDRSTRLEN];
    ASSERT_NE(::inet_ntop(AF_INET6, v6[0].address.data(), text6, sizeof text6), nullptr);
    EXPECT_STREQ(text6, "::1");
    EXPECT_EQ(v6[0].inode, 99u);
}

TEST(PortHolder, FindsThisProcessHoldingATcpListener) {
    auto const bound = bind_socket(AF_INET, SOCK_STREAM, "127.0.0.1", true);
    auto const holder = find_port_holder(Protocol::tcp, "127.0.0.1", bound.port);
    ASSERT_TRUE(holder);
    EXPECT_EQ(holder->pid, ::getpid());
    EXPECT_EQ(holder->command, my_command());

    auto const busy = check_port({.host = bound.port, .guest = 80});
    ASSERT_FALSE(busy);
    EXPECT_EQ(busy.error().text(),
              "host port 127.0.0.1:" + std::to_string(bound.port) + "/tcp " + in_use_by_me());
}

// Used to throw (a range-for over a directory_iterator): a process's fd directory fails part
// way, as when the process exits while it is read. It is only "not this one".
TEST(PortHolder, AnFdDirectoryThatFailsPartWayIsSkipped) {
    auto const bound = bind_socket(AF_INET, SOCK_STREAM, "127.0.0.1", true);
    test::ReaddirFault fault("/proc/self/fd", 1, ENOENT);
    EXPECT_FALSE(find_port_holder(Protocol::tcp, "127.0.0.1", bound.port));
    EXPECT_GE(fault.failures(), 1);
}

// Likewise for /proc itself: the holder stays unknown.
TEST(PortHolder, AProcListingThatFailsPartWayLeavesTheHolderUnknown) {
    auto const bound = bind_socket(AF_INET, SOCK_STREAM, "127.0.0.1", true);
    test::ReaddirFault fault("/proc", 1, EIO);
    EXPECT_FALSE(find_port_holder(Protocol::tcp, "127.0.0.1", bound.port));
    EXPECT_EQ(fault.failures(), 1);
}

TEST(PortHolder, AWildcardListenerBlocksLoopback) {
    auto const bound = bind_socket(AF_INET, SOCK_STREAM, "0.0.0.0", true);
    auto const busy = check_port({.host = bound.port, .guest = 80});
    ASSERT_FALSE(busy);
    EXPECT_NE(busy.error().text().find(in_use_by_me()), std::string::npos) << busy.error().text();
}

TEST(PortHolder, UdpAndIpv6) {
    auto const udp = bind_socket(AF_INET, SOCK_DGRAM, "127.0.0.1", false);
    auto const busy = check_port({.host = udp.port, .guest = 53, .protocol = Protocol::udp});
    ASSERT_FALSE(busy);
    EXPECT_NE(busy.error().text().find("/udp " + in_use_by_me()), std::string::npos)
        << busy.error().text();

    auto const v6 = bind_socket(AF_INET6, SOCK_STREAM, "::1", true);
    auto const busy6 = check_port({.host = v6.port, .guest = 80, .host_address = "::1"});
    ASSERT_FALSE(busy6);
    EXPECT_EQ(busy6.error().text(),
              "host port [::1]:" + std::to_string(v6.port) + "/tcp " + in_use_by_me());
}

TEST(PortCheck, AFreePortPassesAndAForeignAddressIsNamed) {
    std::uint16_t port = 0;
    {
        auto const probe = bind_socket(AF_INET, SOCK_STREAM, "127.0.0.1", false);
        port = probe.port;
    }
    auto const free_port = check_port({.host = port, .guest = 80});
    EXPECT_TRUE(free_port) << free_port.error().text();
    // TEST-NET-1 (RFC 5737) is never an address of this host.
    auto const foreign = check_port({.host = port, .guest = 80, .host_address = "192.0.2.1"});
    ASSERT_FALSE(foreign);
    EXPECT_NE(foreign.error().text().find("192.0.2.1 is not an address of this host"),
              std::string::npos);
}

// A port held by a connected, non-listening socket of another protocol does not block.
TEST(PortCheck, ProtocolsDoNotClash) {
    auto const tcp = bind_socket(AF_INET, SOCK_STREAM, "127.0.0.1", true);
    auto const udp_check = check_port({.host = tcp.port, .guest = 80, .protocol = Protocol::udp});
    EXPECT_TRUE(udp_check) << udp_check.error().text();
}

} // namespace
} // namespace microvm::preflight
