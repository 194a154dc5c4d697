// Test hosts for the egress tests: a network namespace joined to the host by a veth pair, with a
// DNS server, TCP greeters and UDP echoes on addresses in 198.18.0.0/15 (RFC 2544's benchmarking
// range, never routed on the internet). Tests send traffic only to these addresses and to
// loopback, so a broken egress filter can let nothing out of the machine.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "base/fd.hpp"

namespace microvm::e2e {

// One test network, 198.18.S.0/24, where S is a slot no other live test process holds (0 when
// the tests run one at a time; ctest -j runs a process per test, and two host interfaces with
// the same subnet would steal each other's traffic).
//   198.18.S.1  the host's end of the veth pair: an address of the host itself
//   198.18.S.2  dnsmasq on UDP and TCP 53; TCP greeters on 80, 8080 and 853 (DNS over TLS's
//               port); UDP echoes on 7 and 9
//   198.18.S.3  a TCP greeter on 80
// dnsmasq answers the names of the zone "test" only, with TTL 60, from host records (so AAAA
// has no data rather than an error):
//   ok.test, wild.test, a.wild.test, b.a.wild.test  -> 198.18.S.2
//   denied.test                                     -> 198.18.S.3
//   rebind-lo.test                                  -> 127.0.0.1
//   rebind-gw.test                                  -> 10.0.2.2 (the host's loopback as a
//                                                      slirp guest reaches it)
//   rebind-host.test                                -> 198.18.S.1
// and NXDOMAIN for every other name under "test". The namespace has no route beyond its /24.
//
// Names carry the test process's pid (netns microvm-e2e-PID, veth mvmhPID / mvmnPID), so a
// process has one at a time. The destructor kills the servers and deletes the namespace and the
// veth pair; servers also die with the test process (PR_SET_PDEATHSIG), and the constructor
// first removes what a test process that no longer runs left behind.
class TestNetworkNamespace {
public:
    // Makes the namespace and starts its servers, and waits until each answers from the host.
    // On failure error() says which step failed; what was made is still removed at the end.
    TestNetworkNamespace();
    ~TestNetworkNamespace();
    TestNetworkNamespace(TestNetworkNamespace const&) = delete;
    TestNetworkNamespace& operator=(TestNetworkNamespace const&) = delete;

    // Empty when the network is up and every server answered.
    std::string const& error() const { return m_error; }

    // 198.18.S.1, .2 and .3.
    std::string host_address() const { return address(1); }
    std::string server_address() const { return address(2); }
    std::string other_address() const { return address(3); }
    // The namespace's name, for `ip netns exec`.
    std::string const& name() const { return m_netns; }

    // The line (without its newline) the TCP greeter on address:port sends to each connection.
    static std::string greeting(std::string const& address, std::uint16_t port);

    // dnsmasq's query log so far: a line "query[A] NAME from ADDRESS" per query it received.
    std::string dns_log() const;
    // How many connections the TCP greeter on address:port has accepted so far.
    int tcp_connections(std::string const& address, std::uint16_t port) const;
    // How many datagrams the UDP echo on address:port has received so far.
    int udp_datagrams(std::string const& address, std::uint16_t port) const;

private:
    struct Server {
        std::string label; // "tcp-198.18.0.2-80", "udp-...", "dns"
        pid_t pid = -1;    // also its process group
        std::filesystem::path log;
    };

    std::string address(int host) const;
    bool step(std::vector<std::string> const& argv);
    bool claim_slot();
    bool start(std::string const& label, std::vector<std::string> const& command);
    bool wait_until_answering();
    std::string server_log(std::string const& label) const;

    std::string m_error;
    int m_slot = -1;
    base::Fd m_slot_lock;
    std::string m_netns;
    std::string m_host_if;
    std::string m_ns_if;
    bool m_netns_made = false;
    bool m_veth_made = false;
    std::filesystem::path m_log_dir;
    std::vector<Server> m_servers;
};

} // namespace microvm::e2e
