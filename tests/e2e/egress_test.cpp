// Egress policies on real VMs (issue 14): the guest reaches the destinations its rules allow and
// nothing else. The test hosts live in a network namespace of the test's own
// (test_network_namespace.hpp) on 198.18.S.0/24; no test sends traffic anywhere else but to
// loopback (the host's, which a slirp guest reaches as 10.0.2.2), not even where a broken filter
// would let it through: the metadata address and other ranges are checked at unit level, on the
// decision function.
//
// The tests share detached VMs, one per policy, and talk to them with `microvm exec`; each VM
// starts when the first test that needs it runs. A name's addresses are opened by a lookup in
// the same VM, so each test looks its names up itself before it connects.
//
// Guest tools: busybox nc (TCP only, with -w for the connect) and nslookup; nslookup -port=N is
// also the guest's UDP client (its query comes back from the namespace's UDP echo as a reply).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/fd.hpp"
#include "host_sockets.hpp"
#include "test_network_namespace.hpp"
#include "vm_fixture.hpp"

namespace microvm::e2e {
namespace {

using namespace std::chrono_literals;

// Generous: a TCG guest on a loaded 2-core machine can take 40 s to boot.
constexpr auto boot_ceiling = 240s;
// The runner writes its counters at most once a second; a ceiling, not a timing assertion.
constexpr auto counters_ceiling = 60s;

bool contains(std::string const& text, std::string const& needle) {
    return text.find(needle) != std::string::npos;
}

test::ProcessResult guest(std::string const& vm, std::string const& script) {
    return microvm({"exec", vm, "sh", "-c", script});
}

// What nslookup said about NAME (an A query; to the guest's resolver unless `server` is given),
// and the addresses it answered with.
struct Lookup {
    int exit_code = -1;
    std::string output;
    std::vector<std::string> addresses;

    bool nxdomain() const { return contains(output, "NXDOMAIN"); }
};

Lookup lookup(std::string const& vm, std::string const& name, std::string const& server = "") {
    auto const result = guest(vm, "nslookup -type=a -timeout=5 -retry=1 " + name +
                                      (server.empty() ? "" : " " + server) + " 2>&1");
    Lookup looked{
        .exit_code = result.exit_code, .output = result.out + result.err, .addresses = {}};
    // The answers are the "Address: " lines after "Name:"; the server's own comes before.
    std::istringstream lines(result.out);
    bool answers = false;
    for (std::string line; std::getline(lines, line);) {
        answers = answers || line.starts_with("Name:");
        if (answers && line.starts_with("Address: ")) {
            looked.addresses.push_back(line.substr(9));
        }
    }
    return looked;
}

// `nc -w 5 ADDRESS PORT` in the guest with nothing to send: what it printed, both streams,
// then "nc-status=N".
std::string guest_connect(std::string const& vm, std::string const& address, std::uint16_t port) {
    return guest(vm, "nc -w 5 " + address + " " + std::to_string(port) +
                         " </dev/null 2>&1; echo nc-status=$?")
        .out;
}

// Refused at once: a TCP RST ("Connection refused"), not a connect that timed out.
void expect_refused(std::string const& output, std::string const& what) {
    EXPECT_TRUE(contains(output, "nc-status=1")) << what << ":\n" << output;
    EXPECT_TRUE(contains(output, "Connection refused")) << what << ":\n" << output;
}

// One datagram from the guest to address:port and whether a reply came back: a DNS query from
// nslookup, which exits 0 once it reads any reply (the namespace's echo returns the query).
Lookup guest_udp(std::string const& vm, std::string const& address, std::uint16_t port) {
    auto const result =
        guest(vm, "nslookup -type=a -timeout=3 -retry=1 -port=" + std::to_string(port) +
                      " udp-probe.test " + address + " 2>&1");
    return {.exit_code = result.exit_code, .output = result.out + result.err, .addresses = {}};
}

// Asks the published port until the guest's httpd answers with `text`, or the boot ceiling.
std::string served(std::uint16_t port, std::string const& text) {
    std::string last;
    eventually(
        [&] {
            last = http_get("127.0.0.1", port, "/");
            return contains(last, text);
        },
        boot_ceiling);
    return last;
}

// The first object member called "egress" anywhere in `json`, or null.
nlohmann::json find_egress(nlohmann::json const& json) {
    if (json.is_object() && json.contains("egress")) {
        return json["egress"];
    }
    if (json.is_structured()) {
        for (auto const& item : json) {
            if (auto found = find_egress(item); !found.is_null()) {
                return found;
            }
        }
    }
    return nullptr;
}

std::filesystem::path runner_log(std::string const& vm) {
    return world().data_dir / "vms" / vm / "runner.log";
}

// The VMs the tests share, one per policy.
enum class Vm {
    // Names, wildcards, the rebinding names, UDP on one port, and the two explicit openings of
    // the host (10.0.2.2:PORT and 198.18.S.1:PORT).
    policy,
    // Address rules only: all of 198.18.S.0/24, any port, TCP and UDP; a published port.
    cidr,
    // --no-outbound with a published port.
    none,
};

class Egress : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_net = std::make_unique<TestNetworkNamespace>();
        if (!s_net->error().empty()) {
            return;
        }
        s_loopback_denied = std::make_unique<HostGreeter>("127.0.0.1");
        s_loopback_allowed = std::make_unique<HostGreeter>("127.0.0.1");
        s_host_denied = std::make_unique<HostGreeter>(s_net->host_address());
        s_host_allowed = std::make_unique<HostGreeter>(s_net->host_address());
        s_cidr_published = free_loopback_port(SOCK_STREAM);
        s_none_published = free_loopback_port(SOCK_STREAM);
    }

    static void TearDownTestSuite() {
        for (auto const& [kind, name] : s_started) {
            (void)microvm({"rm", "-f", name});
        }
        s_started.clear();
        s_start_errors.clear();
        s_loopback_denied.reset();
        s_loopback_allowed.reset();
        s_host_denied.reset();
        s_host_allowed.reset();
        s_net.reset();
    }

    void SetUp() override {
        ASSERT_TRUE(s_net->error().empty()) << "test network: " << s_net->error();
        for (auto const* greeter : {s_loopback_denied.get(), s_loopback_allowed.get(),
                                    s_host_denied.get(), s_host_allowed.get()}) {
            ASSERT_NE(greeter->port(), 0) << "a host listener could not be made";
        }
    }

    static TestNetworkNamespace const& net() { return *s_net; }
    static std::string server() { return s_net->server_address(); }
    static std::string other() { return s_net->other_address(); }
    static std::string host() { return s_net->host_address(); }
    static std::string greeting(std::string const& address, std::uint16_t port) {
        return TestNetworkNamespace::greeting(address, port);
    }

    // The running VM of `kind`, started on first use; empty (with the failure recorded) when it
    // did not start.
    static std::string vm(Vm kind) {
        if (auto const started = s_started.find(kind); started != s_started.end()) {
            return started->second;
        }
        if (auto const failed = s_start_errors.find(kind); failed != s_start_errors.end()) {
            ADD_FAILURE() << failed->second;
            return {};
        }
        auto const [name, options] = spec(kind);
        (void)microvm({"rm", "-f", name});
        std::vector<std::string> args = {"run", "-d",       "--name",
                                         name,  "--rootfs", world().rootfs.string()};
        args.insert(args.end(), options.begin(), options.end());
        args.insert(args.end(), {"--", "sleep", "3000"});
        auto const run = microvm(args);
        if (run.exit_code != 0) {
            s_start_errors[kind] = "microvm run -d " + name + ": exit " +
                                   std::to_string(run.exit_code) + ": " + run.err;
            ADD_FAILURE() << s_start_errors[kind];
            return {};
        }
        s_started[kind] = name;
        if (!eventually([&] { return guest(name, "true").exit_code == 0; }, boot_ceiling)) {
            s_start_errors[kind] = name + " does not answer microvm exec";
            s_started.erase(kind);
            (void)microvm({"rm", "-f", name});
            ADD_FAILURE() << s_start_errors[kind];
            return {};
        }
        return name;
    }

    // Starts the guest's httpd on port 80 serving a page that says `text`.
    static void serve_page(std::string const& vm, std::string const& text) {
        auto const started =
            microvm({"exec", "-d", vm, "sh", "-c",
                     "mkdir -p /tmp/www && echo " + text +
                         " >/tmp/www/index.html && exec httpd -f -p 80 -h /tmp/www"});
        ASSERT_EQ(started.exit_code, 0) << started.err;
    }

    static std::unique_ptr<HostGreeter> s_loopback_denied;
    static std::unique_ptr<HostGreeter> s_loopback_allowed;
    static std::unique_ptr<HostGreeter> s_host_denied;
    static std::unique_ptr<HostGreeter> s_host_allowed;
    static std::uint16_t s_cidr_published;
    static std::uint16_t s_none_published;

private:
    static std::pair<std::string, std::vector<std::string>> spec(Vm kind) {
        auto const allow = [](std::vector<std::string> const& rules) {
            std::vector<std::string> options;
            for (auto const& rule : rules) {
                options.insert(options.end(), {"--egress-allow", rule});
            }
            return options;
        };
        // Every VM names the test DNS server as its upstream, so even a resolver that forwarded
        // what it must not would ask only the namespace.
        std::vector<std::string> options = {"--dns", server()};
        switch (kind) {
        case Vm::policy: {
            auto rules = allow({
                "ok.test:80",
                "*.wild.test:80",
                "rebind-lo.test",
                "rebind-gw.test",
                "rebind-host.test",
                server() + ":7/udp",
                server() + ":9",
                "10.0.2.2:" + std::to_string(s_loopback_allowed->port()),
                host() + ":" + std::to_string(s_host_allowed->port()),
            });
            options.insert(options.end(), rules.begin(), rules.end());
            return {"egress-policy", options};
        }
        case Vm::cidr: {
            auto const subnet = server().substr(0, server().rfind('.')) + ".0/24";
            auto rules = allow({subnet, subnet + "/udp"});
            options.insert(options.end(), rules.begin(), rules.end());
            options.insert(options.end(), {"-p", std::to_string(s_cidr_published) + ":80/tcp"});
            return {"egress-cidr", options};
        }
        case Vm::none:
            options.insert(options.end(),
                           {"--no-outbound", "-p", std::to_string(s_none_published) + ":80/tcp"});
            return {"egress-none", options};
        }
        return {};
    }

    static std::unique_ptr<TestNetworkNamespace> s_net;
    static std::map<Vm, std::string> s_started;
    static std::map<Vm, std::string> s_start_errors;
};

std::unique_ptr<TestNetworkNamespace> Egress::s_net;
std::unique_ptr<HostGreeter> Egress::s_loopback_denied;
std::unique_ptr<HostGreeter> Egress::s_loopback_allowed;
std::unique_ptr<HostGreeter> Egress::s_host_denied;
std::unique_ptr<HostGreeter> Egress::s_host_allowed;
std::uint16_t Egress::s_cidr_published = 0;
std::uint16_t Egress::s_none_published = 0;
std::map<Vm, std::string> Egress::s_started;
std::map<Vm, std::string> Egress::s_start_errors;

#define VM_OR_RETURN(variable, kind)                                                               \
    auto const variable = vm(kind);                                                                \
    ASSERT_FALSE(variable.empty())

// The fixture on its own, from the host: what every test below relies on.
TEST(EgressTestNetwork, ServesItsZoneAndItsPortsFromTheHost) {
    TestNetworkNamespace net;
    ASSERT_TRUE(net.error().empty()) << net.error();
    auto const server = net.server_address();
    auto const ask = [&](std::string const& name) {
        return test::run_process({"/bin/busybox", "nslookup", "-type=a", name, server}).out;
    };
    EXPECT_TRUE(contains(ask("ok.test"), "Address: " + server)) << ask("ok.test");
    EXPECT_TRUE(contains(ask("b.a.wild.test"), "Address: " + server));
    EXPECT_TRUE(contains(ask("denied.test"), "Address: " + net.other_address()));
    EXPECT_TRUE(contains(ask("rebind-gw.test"), "Address: 10.0.2.2"));
    EXPECT_TRUE(contains(ask("rebind-host.test"), "Address: " + net.host_address()));
    EXPECT_TRUE(contains(ask("elsewhere.test"), "NXDOMAIN"));
    EXPECT_TRUE(contains(net.dns_log(), "query[A] ok.test from"));
    auto const nc = [](std::string const& address, std::uint16_t port) {
        return test::run_process({"/bin/busybox", "nc", "-w", "5", address, std::to_string(port)})
            .out;
    };
    for (std::uint16_t port : {80, 8080, 853}) {
        EXPECT_EQ(nc(server, port), TestNetworkNamespace::greeting(server, port) + "\n");
    }
    EXPECT_EQ(nc(net.other_address(), 80),
              TestNetworkNamespace::greeting(net.other_address(), 80) + "\n");
    int const before = net.tcp_connections(server, 8080);
    (void)nc(server, 8080);
    EXPECT_EQ(net.tcp_connections(server, 8080), before + 1);
    auto const echoed = test::run_process(
        {"/bin/busybox", "nslookup", "-type=a", "-port=7", "udp-probe.test", server});
    EXPECT_EQ(echoed.exit_code, 0) << echoed.out << echoed.err;
    EXPECT_GE(net.udp_datagrams(server, 7), 2); // the fixture's own check and this one
}

TEST_F(Egress, AnAllowedNameReachesItsHostAndPort) {
    VM_OR_RETURN(name, Vm::policy);
    auto const looked = lookup(name, "ok.test");
    EXPECT_EQ(looked.exit_code, 0) << looked.output;
    ASSERT_EQ(looked.addresses, std::vector<std::string>{server()}) << looked.output;
    int const before = net().tcp_connections(server(), 80);
    auto const output = guest_connect(name, server(), 80);
    EXPECT_TRUE(contains(output, greeting(server(), 80))) << output;
    EXPECT_TRUE(contains(output, "nc-status=0")) << output;
    EXPECT_EQ(net().tcp_connections(server(), 80), before + 1);
    // busybox nc resolves the name itself (through the guest's resolv.conf) just as well.
    auto const by_name = guest(name, "nc -w 5 ok.test 80 </dev/null 2>&1; echo nc-status=$?").out;
    EXPECT_TRUE(contains(by_name, greeting(server(), 80))) << by_name;
    // The allowed name came from the upstream the policy names.
    EXPECT_TRUE(contains(net().dns_log(), "query[A] ok.test from")) << net().dns_log();
}

TEST_F(Egress, ADeniedNameIsNxdomainAndNeverAskedUpstream) {
    VM_OR_RETURN(name, Vm::policy);
    auto const looked = lookup(name, "denied.test");
    EXPECT_NE(looked.exit_code, 0) << looked.output;
    EXPECT_TRUE(looked.nxdomain()) << looked.output;
    EXPECT_TRUE(looked.addresses.empty()) << looked.output;
    EXPECT_FALSE(contains(net().dns_log(), "denied.test")) << net().dns_log();
}

TEST_F(Egress, ADeniedHostByAddressIsRefusedAtOnce) {
    VM_OR_RETURN(name, Vm::policy);
    int const before = net().tcp_connections(other(), 80);
    auto const output = guest_connect(name, other(), 80);
    EXPECT_FALSE(contains(output, greeting(other(), 80))) << output;
    expect_refused(output, other() + ":80");
    EXPECT_EQ(net().tcp_connections(other(), 80), before);
}

TEST_F(Egress, AnAllowedHostOnAnotherPortIsRefused) {
    VM_OR_RETURN(name, Vm::policy);
    ASSERT_EQ(lookup(name, "ok.test").addresses, std::vector<std::string>{server()});
    int const before = net().tcp_connections(server(), 8080);
    auto const output = guest_connect(name, server(), 8080);
    EXPECT_FALSE(contains(output, greeting(server(), 8080))) << output;
    expect_refused(output, server() + ":8080");
    EXPECT_EQ(net().tcp_connections(server(), 8080), before);
}

TEST_F(Egress, AWildcardAllowsSubdomainsButNotTheApex) {
    VM_OR_RETURN(name, Vm::policy);
    for (auto const* subdomain : {"a.wild.test", "b.a.wild.test"}) {
        auto const looked = lookup(name, subdomain);
        EXPECT_EQ(looked.addresses, std::vector<std::string>{server()}) << looked.output;
    }
    auto const output = guest_connect(name, server(), 80);
    EXPECT_TRUE(contains(output, greeting(server(), 80))) << output;

    auto const apex = lookup(name, "wild.test");
    EXPECT_TRUE(apex.nxdomain()) << apex.output;
    EXPECT_TRUE(apex.addresses.empty()) << apex.output;
    EXPECT_FALSE(contains(net().dns_log(), "] wild.test from")) << net().dns_log();
}

TEST_F(Egress, RebindingAnswersOpenNeitherLoopbackNorTheHost) {
    VM_OR_RETURN(name, Vm::policy);
    // Allowed names, any port; whatever the answers are, they open nothing.
    for (auto const* rebinding : {"rebind-lo.test", "rebind-gw.test", "rebind-host.test"}) {
        (void)lookup(name, rebinding);
    }
    auto const gateway = guest_connect(name, "10.0.2.2", s_loopback_denied->port());
    EXPECT_FALSE(contains(gateway, s_loopback_denied->greeting())) << gateway;
    expect_refused(gateway, "10.0.2.2 after rebind-gw.test");
    auto const own = guest_connect(name, host(), s_host_denied->port());
    EXPECT_FALSE(contains(own, s_host_denied->greeting())) << own;
    expect_refused(own, host() + " after rebind-host.test");
    // The guest's 127.0.0.1 is its own loopback: this only shows the host's stays out of reach.
    auto const loopback = guest_connect(name, "127.0.0.1", s_loopback_denied->port());
    EXPECT_FALSE(contains(loopback, s_loopback_denied->greeting())) << loopback;
    EXPECT_EQ(s_loopback_denied->accepted(), 0);
    EXPECT_EQ(s_host_denied->accepted(), 0);

    // A rule naming the address and port opens exactly that.
    auto const named_gateway = guest_connect(name, "10.0.2.2", s_loopback_allowed->port());
    EXPECT_TRUE(contains(named_gateway, s_loopback_allowed->greeting())) << named_gateway;
    auto const named_host = guest_connect(name, host(), s_host_allowed->port());
    EXPECT_TRUE(contains(named_host, s_host_allowed->greeting())) << named_host;
}

TEST_F(Egress, DnsStraightToTheTestServerIsRefused) {
    VM_OR_RETURN(name, Vm::policy);
    auto const looked = lookup(name, "bypass-policy.test", server());
    EXPECT_NE(looked.exit_code, 0) << looked.output;
    EXPECT_TRUE(looked.addresses.empty()) << looked.output;
    EXPECT_FALSE(contains(net().dns_log(), "bypass-policy.test")) << net().dns_log();
}

TEST_F(Egress, UdpPassesOnlyWhereARuleSaysUdp) {
    VM_OR_RETURN(name, Vm::policy);
    int const before_7 = net().udp_datagrams(server(), 7);
    auto const allowed = guest_udp(name, server(), 7);
    EXPECT_EQ(allowed.exit_code, 0) << allowed.output;
    EXPECT_GT(net().udp_datagrams(server(), 7), before_7);
    // Port 9 has a TCP rule only.
    int const before_9 = net().udp_datagrams(server(), 9);
    auto const tcp_only = guest_udp(name, server(), 9);
    EXPECT_NE(tcp_only.exit_code, 0) << tcp_only.output;
    EXPECT_EQ(net().udp_datagrams(server(), 9), before_9);
}

TEST_F(Egress, AnyPortRulesLeaveOutDnsAndDnsOverTls) {
    VM_OR_RETURN(name, Vm::cidr);
    // What the rules allow, by address.
    auto const web = guest_connect(name, server(), 8080);
    EXPECT_TRUE(contains(web, greeting(server(), 8080))) << web;
    auto const other_host = guest_connect(name, other(), 80);
    EXPECT_TRUE(contains(other_host, greeting(other(), 80))) << other_host;
    auto const echo = guest_udp(name, server(), 7);
    EXPECT_EQ(echo.exit_code, 0) << echo.output;
    // DNS over TLS and DNS over TCP or UDP need a rule that names their port.
    int const before_853 = net().tcp_connections(server(), 853);
    auto const dot = guest_connect(name, server(), 853);
    EXPECT_FALSE(contains(dot, greeting(server(), 853))) << dot;
    expect_refused(dot, server() + ":853");
    EXPECT_EQ(net().tcp_connections(server(), 853), before_853);
    expect_refused(guest_connect(name, server(), 53), server() + ":53/tcp");
    auto const direct = lookup(name, "bypass-cidr.test", server());
    EXPECT_NE(direct.exit_code, 0) << direct.output;
    EXPECT_FALSE(contains(net().dns_log(), "bypass-cidr.test")) << net().dns_log();
}

TEST_F(Egress, TheHostsOwnAddressStaysClosedInsideAnAllowedCidr) {
    VM_OR_RETURN(name, Vm::cidr);
    auto const own = guest_connect(name, host(), s_host_denied->port());
    EXPECT_FALSE(contains(own, s_host_denied->greeting())) << own;
    expect_refused(own, host() + " inside the allowed /24");
    EXPECT_EQ(s_host_denied->accepted(), 0);
}

TEST_F(Egress, APublishedPortServesUnderAnAllowList) {
    VM_OR_RETURN(name, Vm::cidr);
    serve_page(name, "served-under-an-allow-list");
    auto const response = served(s_cidr_published, "served-under-an-allow-list");
    EXPECT_TRUE(contains(response, "200 OK")) << response;
    EXPECT_TRUE(contains(response, "served-under-an-allow-list")) << response;
}

TEST_F(Egress, APublishedPortServesUnderNoOutbound) {
    VM_OR_RETURN(name, Vm::none);
    serve_page(name, "served-under-no-outbound");
    auto const response = served(s_none_published, "served-under-no-outbound");
    EXPECT_TRUE(contains(response, "served-under-no-outbound")) << response;
    // And nothing goes out: no name, no test host.
    auto const looked = lookup(name, "ok.test");
    EXPECT_TRUE(looked.addresses.empty()) << looked.output;
    int const before = net().tcp_connections(server(), 80);
    auto const output = guest_connect(name, server(), 80);
    EXPECT_FALSE(contains(output, greeting(server(), 80))) << output;
    expect_refused(output, server() + ":80 under --no-outbound");
    EXPECT_EQ(net().tcp_connections(server(), 80), before);
}

TEST_F(Egress, InspectShowsThePolicyAndItsCounters) {
    VM_OR_RETURN(name, Vm::policy);
    // One of each: allowed and denied TCP, UDP and names.
    ASSERT_EQ(lookup(name, "ok.test").addresses, std::vector<std::string>{server()});
    (void)lookup(name, "denied.test");
    (void)guest_connect(name, server(), 80);
    (void)guest_connect(name, other(), 80);
    (void)guest_udp(name, server(), 7);
    (void)guest_udp(name, server(), 9);

    nlohmann::json egress;
    std::string last;
    auto const counted = eventually(
        [&] {
            auto const inspected = microvm({"inspect", name});
            last = inspected.out + inspected.err;
            egress = find_egress(nlohmann::json::parse(inspected.out, nullptr, false));
            if (!egress.is_object() || !egress["counters"].is_object()) {
                return false;
            }
            for (auto const* counter : {"tcp_allowed", "tcp_denied", "udp_allowed", "udp_denied",
                                        "dns_allowed", "dns_denied"}) {
                if (egress["counters"].value(counter, 0) <= 0) {
                    return false;
                }
            }
            return true;
        },
        counters_ceiling);
    EXPECT_TRUE(counted) << last;
    ASSERT_TRUE(egress.is_object()) << last;
    auto const allow = egress.value("allow", nlohmann::json::array());
    for (auto const& rule : std::vector<std::string>{"ok.test:80/tcp", "*.wild.test:80/tcp",
                                                     "rebind-gw.test/tcp", server() + ":7/udp"}) {
        EXPECT_NE(std::find(allow.begin(), allow.end(), rule), allow.end())
            << rule << " in " << allow.dump();
    }
    auto const dns = egress.value("dns", nlohmann::json::array());
    EXPECT_NE(std::find(dns.begin(), dns.end(), server()), dns.end()) << dns.dump();
}

TEST_F(Egress, TheRunnerLogNamesWhatItDenied) {
    VM_OR_RETURN(name, Vm::policy);
    (void)guest_connect(name, other(), 80);
    (void)lookup(name, "denied.test");
    std::string log;
    auto const logged = eventually(
        [&] {
            log = test::read_file(runner_log(name));
            return contains(log, "denied tcp " + other() + ":80") &&
                   contains(log, "refused \"denied.test\"");
        },
        counters_ceiling);
    EXPECT_TRUE(logged) << runner_log(name) << ":\n" << log;
}

TEST_F(Egress, APolicyFileWithComments) {
    auto const policy = fresh_dir("egress-policy") / "policy";
    test::write_file(policy, "# The test hosts of microvm's egress tests.\n"
                             "\n"
                             "   ok.test:80    # the allowed host, one port\n"
                             "# denied.test is not listed\n");
    auto const result = run_sh("nslookup -type=a ok.test; nc -w 5 " + server() +
                                   " 80 </dev/null; echo nc-status=$?; nslookup -type=a "
                                   "denied.test; echo lookup-status=$?",
                               {"--egress-policy", policy.string(), "--dns", server()});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_TRUE(contains(result.out, "Address: " + server())) << result.out;
    EXPECT_TRUE(contains(result.out, greeting(server(), 80))) << result.out;
    EXPECT_TRUE(contains(result.out, "nc-status=0")) << result.out;
    EXPECT_TRUE(contains(result.out, "NXDOMAIN")) << result.out;
    EXPECT_TRUE(contains(result.out, "lookup-status=1")) << result.out;
}

// Refusals before anything starts: no test network needed.
bool vm_exists(std::string const& name) {
    return microvm({"inspect", name}).exit_code == 0;
}

TEST(EgressRules, BadRulesAre125WithTheRuleBeforeAnyVmStarts) {
    int i = 0;
    for (std::string const rule : {"*.", "300.1.1.1", "x:0", "a..b", ""}) {
        auto const name = "egress-bad-" + std::to_string(i++);
        auto const result = microvm({"run", "--name", name, "--rootfs", world().rootfs.string(),
                                     "--egress-allow", rule, "--", "true"});
        EXPECT_EQ(result.exit_code, 125) << "rule \"" << rule << "\": " << result.err;
        EXPECT_TRUE(contains(result.err, "\"" + rule + "\"")) << result.err;
        EXPECT_FALSE(vm_exists(name)) << rule;
    }
}

TEST(EgressRules, ABadLineInAPolicyFileIs125WithTheRule) {
    auto const policy = fresh_dir("egress-bad-policy") / "policy";
    test::write_file(policy, "# comment\nok.test:80\n300.1.1.1:80\n");
    auto const result =
        run_sh("true", {"--name", "egress-bad-file", "--egress-policy", policy.string()});
    EXPECT_EQ(result.exit_code, 125) << result.err;
    EXPECT_TRUE(contains(result.err, "300.1.1.1")) << result.err;
    EXPECT_FALSE(vm_exists("egress-bad-file"));

    auto const missing = fresh_dir("egress-no-policy") / "missing";
    auto const unreadable = run_sh("true", {"--egress-policy", missing.string()});
    EXPECT_EQ(unreadable.exit_code, 125) << unreadable.err;
    EXPECT_TRUE(contains(unreadable.err, missing.string())) << unreadable.err;
}

TEST(EgressRules, DnsWithoutAPolicyIs125) {
    auto const result = run_sh("true", {"--name", "egress-dns-only", "--dns", "198.18.0.2"});
    EXPECT_EQ(result.exit_code, 125) << result.err;
    EXPECT_TRUE(contains(result.err, "--dns")) << result.err;
    EXPECT_FALSE(vm_exists("egress-dns-only"));
    auto const not_an_address = run_sh("true", {"--no-outbound", "--dns", "resolver.test"});
    EXPECT_EQ(not_an_address.exit_code, 125) << not_an_address.err;
    EXPECT_TRUE(contains(not_an_address.err, "resolver.test")) << not_an_address.err;
}

} // namespace
} // namespace microvm::e2e
