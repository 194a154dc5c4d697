#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/fd.hpp"
#include "base/temp_dir.hpp"
#include "guest/network.hpp"
#include "support/readdir_fault.hpp"
#include "support/test_support.hpp"

namespace microvm::guest {
namespace {

namespace fs = std::filesystem;
using microvm::test::read_file;
using microvm::test::write_file;

contract::GuestNetwork slirp() {
    return {.address = "10.0.2.15/24", .gateway = "10.0.2.2", .dns = {"10.0.2.3"}};
}

base::TempDir temp_dir() {
    return std::move(*base::TempDir::create("microvm-network-test-"));
}

TEST(NetworkFiles, HostsNamesTheGuestOnItsOwnAddress) {
    EXPECT_EQ(hosts_text("web", slirp()), "127.0.0.1\tlocalhost\n"
                                          "::1\tlocalhost ip6-localhost ip6-loopback\n"
                                          "10.0.2.15\tweb\n");
    // No interface of its own: Debian's 127.0.1.1, so the name still resolves.
    EXPECT_EQ(hosts_text("web", std::nullopt), "127.0.0.1\tlocalhost\n"
                                               "::1\tlocalhost ip6-localhost ip6-loopback\n"
                                               "127.0.1.1\tweb\n");
}

TEST(NetworkFiles, ResolvConfListsEveryServer) {
    auto network = slirp();
    network.dns = {"10.0.2.3", "2001:db8::53"};
    EXPECT_EQ(resolv_conf_text(network), "# Written by microvm-init from /etc/microvm.json.\n"
                                         "nameserver 10.0.2.3\n"
                                         "nameserver 2001:db8::53\n");
}

TEST(NetworkFiles, WrittenIntoTheRootCreatingEtc) {
    auto root = temp_dir();
    auto written = write_network_files(root.path().string(), "vm1", slirp());
    ASSERT_TRUE(written) << written.error().text();
    EXPECT_EQ(read_file(root.path() / "etc/hosts"), hosts_text("vm1", slirp()));
    EXPECT_EQ(read_file(root.path() / "etc/resolv.conf"), resolv_conf_text(slirp()));
    EXPECT_EQ(fs::status(root.path() / "etc/hosts").permissions() & fs::perms::all,
              fs::perms(0644));
}

TEST(NetworkFiles, WithoutNetworkOnlyHostsIsWritten) {
    auto root = temp_dir();
    fs::create_directories(root.path() / "etc");
    write_file(root.path() / "etc/resolv.conf", "nameserver 192.0.2.53\n");
    ASSERT_TRUE(write_network_files(root.path().string(), "vm1", std::nullopt));
    EXPECT_EQ(read_file(root.path() / "etc/hosts"), hosts_text("vm1", std::nullopt));
    // The image's own file stays: there is no name server to point it at.
    EXPECT_EQ(read_file(root.path() / "etc/resolv.conf"), "nameserver 192.0.2.53\n");
}

// Debian and Ubuntu images often ship resolv.conf as a link into /run; it is replaced, and
// whatever it pointed at is untouched.
TEST(NetworkFiles, SymlinkedResolvConfIsReplacedNotFollowed) {
    auto root = temp_dir();
    auto outside = temp_dir();
    write_file(outside.path() / "target", "untouched\n");
    fs::create_directories(root.path() / "etc");
    fs::create_symlink(outside.path() / "target", root.path() / "etc/resolv.conf");
    fs::create_symlink("../../../../../../../" + (outside.path() / "target").string(),
                       root.path() / "etc/hosts");
    ASSERT_TRUE(write_network_files(root.path().string(), "vm1", slirp()));
    EXPECT_FALSE(fs::is_symlink(root.path() / "etc/resolv.conf"));
    EXPECT_FALSE(fs::is_symlink(root.path() / "etc/hosts"));
    EXPECT_EQ(read_file(root.path() / "etc/resolv.conf"), resolv_conf_text(slirp()));
    EXPECT_EQ(read_file(outside.path() / "target"), "untouched\n");
}

TEST(FindNetworkInterface, FirstEthernetDeviceByName) {
    auto sysfs = temp_dir();
    auto add = [&](std::string const& name, std::string const& type) {
        fs::create_directories(sysfs.path() / name);
        write_file(sysfs.path() / name / "type", type + "\n");
    };
    add("lo", "772");
    add("sit0", "776");
    add("eth1", "1");
    add("eth0", "1");
    auto found = find_network_interface(sysfs.path().string(), std::chrono::milliseconds(0));
    ASSERT_TRUE(found) << found.error().text();
    EXPECT_EQ(*found, "eth0");
}

TEST(FindNetworkInterface, NoneWithinThePatienceFails) {
    auto sysfs = temp_dir();
    fs::create_directories(sysfs.path() / "lo");
    write_file(sysfs.path() / "lo/type", "772\n");
    auto found = find_network_interface(sysfs.path().string(), std::chrono::milliseconds(50));
    ASSERT_FALSE(found);
    EXPECT_EQ(found.error().text(),
              "no network interface appeared in " + sysfs.path().string() + " within 50 ms");
}

// Used to throw out of PID 1 (a range-for over a directory_iterator): reading the class
// directory fails part way.
TEST(FindNetworkInterface, AClassDirectoryThatCannotBeReadIsAnError) {
    auto sysfs = temp_dir();
    fs::create_directories(sysfs.path() / "eth0");
    write_file(sysfs.path() / "eth0/type", "1\n");
    fs::create_directories(sysfs.path() / "eth1");
    write_file(sysfs.path() / "eth1/type", "1\n");
    test::ReaddirFault fault(sysfs.path(), 1, EIO);
    auto found = find_network_interface(sysfs.path().string(), std::chrono::milliseconds(0));
    ASSERT_FALSE(found);
    EXPECT_EQ(found.error().errno_value(), EIO);
    EXPECT_EQ(found.error().text(),
              "find the network interface: list " + sysfs.path().string() + ": Input/output error");
}

TEST(FindNetworkInterface, AMissingClassDirectoryIsWaitedFor) {
    auto sysfs = temp_dir();
    auto found =
        find_network_interface((sysfs.path() / "net").string(), std::chrono::milliseconds(0));
    ASSERT_FALSE(found);
    EXPECT_EQ(found.error().errno_value(), 0);
    EXPECT_NE(found.error().text().find("no network interface appeared"), std::string::npos);
}

// lo's IPv4 address or netmask (SIOCGIFADDR / SIOCGIFNETMASK), as text.
std::string interface_address(unsigned long request) {
    base::Fd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    ifreq query{};
    std::strcpy(query.ifr_name, "lo");
    if (::ioctl(fd.get(), request, &query) != 0) {
        return "error";
    }
    sockaddr_in inet{};
    std::memcpy(&inet, &query.ifr_addr, sizeof inet);
    char text[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &inet.sin_addr, text, sizeof text);
    return text;
}

// The real ioctls, in a network namespace of a child process of its own: its loopback device
// stands in for the VM's interface (a new namespace has nothing else).
TEST(ConfigureInterface, AddressNetmaskLinkAndDefaultRoute) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "a network namespace needs CAP_SYS_ADMIN";
    }
    auto report = temp_dir();
    auto const out = report.path() / "out";
    pid_t const child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        std::ofstream file(out);
        if (::unshare(CLONE_NEWNET) != 0) {
            file << "unshare failed\n";
            _exit(1);
        }
        auto address = contract::parse_ipv4_cidr("10.0.2.15/24");
        auto gateway = contract::parse_ipv4("10.0.2.2");
        auto configured = configure_interface("lo", *address, *gateway);
        // Twice: a default route that exists already is kept, not an error.
        if (configured) {
            configured = configure_interface("lo", *address, *gateway);
        }
        file << (configured ? std::string("ok") : configured.error().text()) << "\n";
        file << "address " << interface_address(SIOCGIFADDR) << " netmask "
             << interface_address(SIOCGIFNETMASK) << "\n";
        // /proc/self/net follows the calling thread's namespace.
        file << read_file("/proc/self/net/route");
        file << read_file("/sys/class/net/lo/operstate");
        file.close();
        _exit(configured ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    std::string const text = read_file(out);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << text;
    // /proc/net/route: Iface Destination Gateway Flags ..., addresses in little-endian hex.
    // 10.0.2.2 is 0202000A; flags 0003 = RTF_UP|RTF_GATEWAY.
    EXPECT_NE(text.find("lo\t00000000\t0202000A\t0003"), std::string::npos) << text;
    EXPECT_NE(text.find("address 10.0.2.15 netmask 255.255.255.0\n"), std::string::npos) << text;
}

TEST(ConfigureInterface, UnknownInterfaceNamesIt) {
    auto address = contract::parse_ipv4_cidr("10.0.2.15/24");
    auto configured = configure_interface("nosuchif0", *address, std::nullopt);
    ASSERT_FALSE(configured);
    EXPECT_EQ(configured.error().text().rfind("nosuchif0: SIOCSIFADDR 10.0.2.15: ", 0), 0u)
        << configured.error().text();
}

} // namespace
} // namespace microvm::guest
