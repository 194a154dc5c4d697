// Networking with real VMs: published TCP and UDP ports, two VMs at once, --network none and
// --no-outbound. A VM that must keep serving runs `microvm run` on a thread of its own; its
// workload serves until the test creates a stop file on a shared directory (and gives up by
// itself after a few minutes, so a failed test never leaves a VM behind).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <thread>

#include "base/fd.hpp"
#include "host_sockets.hpp"
#include "vm_fixture.hpp"

namespace microvm::e2e {
namespace {

using namespace std::chrono_literals;

// Generous: a TCG guest on a loaded 2-core machine can take 40 s to boot.
constexpr auto boot_ceiling = 240s;

// The guest's wait for the stop file, at most ~5 minutes.
std::string serve_until_stopped(std::string const& start) {
    return start +
           " && i=0; while [ ! -e /ctl/stop ] && [ $i -lt 1500 ]; do sleep 0.2; i=$((i+1)); done";
}

// Asks again until `attempt` returns something containing `expected`, or the boot ceiling.
std::string poll_until(std::function<std::string()> const& attempt, std::string const& expected) {
    auto const deadline = std::chrono::steady_clock::now() + boot_ceiling;
    std::string last;
    while (std::chrono::steady_clock::now() < deadline) {
        last = attempt();
        if (last.find(expected) != std::string::npos) {
            return last;
        }
        std::this_thread::sleep_for(500ms);
    }
    return last;
}

// A VM running a serving workload on a thread of its own.
class ServingVm {
public:
    ServingVm(std::string const& start, std::vector<std::string> const& options)
        : m_ctl(fresh_dir("ctl")) {
        std::vector<std::string> extra = {"-v", m_ctl.string() + ":/ctl"};
        extra.insert(extra.end(), options.begin(), options.end());
        m_result = std::async(std::launch::async, [script = serve_until_stopped(start), extra] {
            return run_sh(script, extra);
        });
    }
    ServingVm(ServingVm const&) = delete;
    ServingVm& operator=(ServingVm const&) = delete;
    ~ServingVm() {
        if (m_result.valid()) {
            stop();
        }
    }

    // Tells the workload to end and waits for the VM.
    test::ProcessResult stop() {
        test::write_file(m_ctl / "stop", "");
        return m_result.get();
    }

private:
    std::filesystem::path m_ctl;
    std::future<test::ProcessResult> m_result;
};

// A directory with an index.html that says `text`, to serve with busybox httpd.
std::filesystem::path site(std::string const& text) {
    auto dir = fresh_dir("www");
    test::write_file(dir / "index.html", text + "\n");
    return dir;
}

std::string publish(std::uint16_t host, int guest, char const* protocol = "tcp") {
    return std::to_string(host) + ":" + std::to_string(guest) + "/" + protocol;
}

TEST(Network, HttpdInTheGuestIsReachableThroughAPublishedPort) {
    auto const port = free_loopback_port(SOCK_STREAM);
    ServingVm vm("httpd -p 80 -h /www", {"-v", site("served-from-the-guest").string() + ":/www:ro",
                                         "-p", publish(port, 80)});
    auto response = poll_until([&] { return http_get("127.0.0.1", port, "/index.html"); },
                               "served-from-the-guest");
    EXPECT_NE(response.find("200 OK"), std::string::npos) << response;
    EXPECT_NE(response.find("served-from-the-guest"), std::string::npos) << response;
    auto result = vm.stop();
    EXPECT_EQ(result.exit_code, 0) << result.err;
}

// A datagram to a published UDP port reaches the guest's echo server and its answer comes back;
// `extra` adds run options.
void expect_udp_echo_through_published_port(std::vector<std::string> const& extra) {
    auto const port = free_loopback_port(SOCK_DGRAM);
    std::vector<std::string> options = {"-p", publish(port, 5300, "udp")};
    options.insert(options.end(), extra.begin(), extra.end());
    ServingVm vm("{ /bin/probe udp-echo 5300 & }", options);
    // A datagram sent before the guest listens is lost, so each attempt sends a fresh one.
    int attempt = 0;
    auto reply = poll_until(
        [&] { return udp_exchange("127.0.0.1", port, "datagram-" + std::to_string(++attempt)); },
        "echo:");
    EXPECT_EQ(reply, "echo:datagram-" + std::to_string(attempt));
    udp_exchange("127.0.0.1", port, "quit");
    auto result = vm.stop();
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.out.find("udp-echo listening on 5300"), std::string::npos) << result.out;
}

TEST(Network, UdpForwardCarriesADatagramBothWays) {
    expect_udp_echo_through_published_port({});
}

// Under an egress policy the runner's own network carries the forwards; the guest's answers to
// a published UDP port's peer (10.0.2.2 and the peer's port, as slirp presents it) are not
// egress and pass, while the policy denies everything else.
TEST(Network, UdpForwardCarriesADatagramBothWaysUnderADenyAllPolicy) {
    expect_udp_echo_through_published_port({"--no-outbound"});
}

TEST(Network, TwoVmsServeDifferentPortsAtOnce) {
    auto const port_a = free_loopback_port(SOCK_STREAM);
    auto const port_b = free_loopback_port(SOCK_STREAM);
    ASSERT_NE(port_a, port_b);
    ServingVm a("httpd -p 80 -h /www",
                {"-v", site("vm-a").string() + ":/www:ro", "-p", publish(port_a, 80)});
    ServingVm b("httpd -p 8080 -h /www",
                {"-v", site("vm-b").string() + ":/www:ro", "-p", publish(port_b, 8080)});
    auto from_a = poll_until([&] { return http_get("127.0.0.1", port_a, "/index.html"); }, "vm-a");
    auto from_b = poll_until([&] { return http_get("127.0.0.1", port_b, "/index.html"); }, "vm-b");
    EXPECT_NE(from_a.find("vm-a"), std::string::npos) << from_a;
    EXPECT_NE(from_b.find("vm-b"), std::string::npos) << from_b;
    // Both were up at the same time: ask each again before stopping either.
    EXPECT_NE(http_get("127.0.0.1", port_a, "/index.html").find("vm-a"), std::string::npos);
    EXPECT_NE(http_get("127.0.0.1", port_b, "/index.html").find("vm-b"), std::string::npos);
    EXPECT_EQ(a.stop().exit_code, 0);
    EXPECT_EQ(b.stop().exit_code, 0);
}

TEST(Network, UserNetworkConfiguresTheGuestStatically) {
    auto result =
        run_sh("ls /sys/class/net; ip -4 addr show eth0; ip route; cat /etc/resolv.conf /etc/hosts",
               {"--name", "e2e-net-user"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.out.find("eth0\nlo\n"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("inet 10.0.2.15/24"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("default via 10.0.2.2 dev eth0"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("nameserver 10.0.2.3\n"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("10.0.2.15\te2e-net-user\n"), std::string::npos) << result.out;
}

TEST(Network, NoneLeavesLoopbackOnly) {
    auto result = run_sh("ls /sys/class/net; cat /sys/class/net/lo/operstate; cat /etc/hosts",
                         {"--network", "none", "--name", "e2e-net-none"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    // lo's operstate is "unknown" when up (it has no carrier to report).
    EXPECT_EQ(result.out.substr(0, result.out.find("127.0.0.1")), "lo\nunknown\n") << result.out;
    EXPECT_NE(result.out.find("127.0.1.1\te2e-net-none\n"), std::string::npos) << result.out;
}

TEST(Network, NonePublishingAPortIsRefusedBeforeBoot) {
    auto result = run_sh("true", {"--network", "none", "-p", "18080:80"});
    EXPECT_EQ(result.exit_code, 125);
    EXPECT_NE(result.err.find("--network none has no network to forward a port to"),
              std::string::npos)
        << result.err;
}

// A TCP listener on the host's loopback that greets every connection: the guest reaches it as
// 10.0.2.2:PORT through slirp, unless outbound traffic is denied.
struct HostListener : HostGreeter {
    HostListener() : HostGreeter("127.0.0.1", "hello-from-the-host") {}
};

std::string connect_to_host(std::uint16_t port) {
    return "nc -w 10 10.0.2.2 " + std::to_string(port) + " </dev/null; echo nc-status=$?";
}

TEST(Network, OutboundReachesAHostListenerByDefault) {
    HostListener listener;
    auto result = run_sh(connect_to_host(listener.port()));
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.out.find("hello-from-the-host"), std::string::npos) << result.out;
    EXPECT_EQ(listener.accepted(), 1);
}

TEST(Network, NoOutboundBlocksTheListenerAndKeepsThePublishedPort) {
    HostListener listener;
    auto const port = free_loopback_port(SOCK_STREAM);
    ServingVm vm(connect_to_host(listener.port()) + "; httpd -p 80 -h /www",
                 {"--no-outbound", "-v", site("still-published").string() + ":/www:ro", "-p",
                  publish(port, 80)});
    auto response =
        poll_until([&] { return http_get("127.0.0.1", port, "/index.html"); }, "still-published");
    EXPECT_NE(response.find("still-published"), std::string::npos) << response;
    auto result = vm.stop();
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out.find("hello-from-the-host"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("nc-status=1"), std::string::npos) << result.out;
    EXPECT_EQ(listener.accepted(), 0);
}

} // namespace
} // namespace microvm::e2e
