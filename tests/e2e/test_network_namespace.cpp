#include "test_network_namespace.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <sstream>

#include "host_sockets.hpp"
#include "support/test_support.hpp"
#include "vm_fixture.hpp"

namespace microvm::e2e {

namespace {

using namespace std::chrono_literals;

constexpr char ip_tool[] = "/usr/sbin/ip";
constexpr char dnsmasq[] = "/usr/sbin/dnsmasq";
constexpr char socat[] = "/usr/bin/socat";
constexpr char netns_prefix[] = "microvm-e2e-";
constexpr char host_if_prefix[] = "mvmh";
constexpr char ns_if_prefix[] = "mvmn";

// 198.18.0.0/24 .. 198.18.63.0/24: more than the parallel test processes of one machine.
constexpr int slot_count = 64;

// How long a server may take to answer from the host after it started: a ceiling for a loaded
// machine, not a timing assertion.
constexpr auto ready_ceiling = 30s;

constexpr std::uint16_t dns_port = 53;
constexpr std::uint16_t server_tcp_ports[] = {80, 8080, 853};
constexpr std::uint16_t other_tcp_port = 80;
constexpr std::uint16_t server_udp_ports[] = {7, 9};

bool process_gone(pid_t pid) {
    return ::kill(pid, 0) != 0 && errno == ESRCH;
}

// The pid in a name made of `prefix` and a pid, or 0.
pid_t owner_pid(std::string const& name, std::string const& prefix) {
    if (!name.starts_with(prefix) || name.size() == prefix.size() ||
        name.find_first_not_of("0123456789", prefix.size()) != std::string::npos) {
        return 0;
    }
    return static_cast<pid_t>(std::atol(name.c_str() + prefix.size()));
}

// Deletes the namespaces and host-side veth ends of test processes that no longer run (killed
// by a timeout or a crash before their destructor ran), so a slot they held is usable again.
void remove_leftovers() {
    std::istringstream namespaces(test::run_process({ip_tool, "netns", "list"}).out);
    for (std::string line; std::getline(namespaces, line);) {
        auto const name = line.substr(0, line.find(' '));
        auto const owner = owner_pid(name, netns_prefix);
        if (owner <= 0 || !process_gone(owner)) {
            continue;
        }
        std::istringstream pids(test::run_process({ip_tool, "netns", "pids", name}).out);
        for (pid_t pid = 0; pids >> pid;) {
            ::kill(pid, SIGKILL);
        }
        (void)test::run_process({ip_tool, "netns", "delete", name});
    }
    std::error_code error;
    for (auto const& entry : std::filesystem::directory_iterator("/sys/class/net", error)) {
        auto const name = entry.path().filename().string();
        auto const owner = owner_pid(name, host_if_prefix);
        if (owner > 0 && process_gone(owner)) {
            (void)test::run_process({ip_tool, "link", "delete", name});
        }
    }
}

// Connects to address:port from the host; an invalid Fd when that fails within 2 s.
base::Fd tcp_connect(std::string const& address, std::uint16_t port) {
    base::Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    timeval const limit{.tv_sec = 2, .tv_usec = 0};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    auto const to = ipv4_endpoint(address, port);
    if (::connect(fd.get(), reinterpret_cast<sockaddr const*>(&to), sizeof to) != 0) {
        return {};
    }
    return fd;
}

// The first line a TCP server at address:port sends, without its newline; empty on failure.
std::string tcp_first_line(std::string const& address, std::uint16_t port) {
    auto fd = tcp_connect(address, port);
    if (!fd) {
        return {};
    }
    std::string received;
    char buffer[256];
    pollfd waiting{.fd = fd.get(), .events = POLLIN, .revents = 0};
    while (received.find('\n') == std::string::npos && ::poll(&waiting, 1, 2000) == 1) {
        ssize_t const n = ::read(fd.get(), buffer, sizeof buffer);
        if (n <= 0) {
            break;
        }
        received.append(buffer, static_cast<std::size_t>(n));
    }
    return received.substr(0, received.find('\n'));
}

int count(std::string const& text, std::string const& needle) {
    int found = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
        ++found;
    }
    return found;
}

std::string tcp_label(std::string const& address, std::uint16_t port) {
    return "tcp-" + address + "-" + std::to_string(port);
}

std::string udp_label(std::string const& address, std::uint16_t port) {
    return "udp-" + address + "-" + std::to_string(port);
}

} // namespace

TestNetworkNamespace::TestNetworkNamespace() {
    auto const pid = std::to_string(::getpid());
    m_netns = netns_prefix + pid;
    m_host_if = host_if_prefix + pid;
    m_ns_if = ns_if_prefix + pid;
    remove_leftovers();
    if (!claim_slot()) {
        return;
    }
    char pattern[] = "/tmp/microvm-e2e-net-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) {
        m_error = "mkdtemp for the servers' logs failed";
        return;
    }
    m_log_dir = pattern;

    // The steps in order; each later one needs the ones before. The peer end is made directly
    // inside the namespace, so no interface of the test ever sits unaddressed on the host.
    m_netns_made = step({ip_tool, "netns", "add", m_netns});
    if (!m_netns_made) {
        return;
    }
    m_veth_made = step({ip_tool, "link", "add", m_host_if, "type", "veth", "peer", "name", m_ns_if,
                        "netns", m_netns});
    if (!m_veth_made ||
        !step({ip_tool, "address", "add", host_address() + "/24", "dev", m_host_if}) ||
        !step(
            {ip_tool, "-n", m_netns, "address", "add", server_address() + "/24", "dev", m_ns_if}) ||
        !step(
            {ip_tool, "-n", m_netns, "address", "add", other_address() + "/24", "dev", m_ns_if}) ||
        !step({ip_tool, "-n", m_netns, "link", "set", "lo", "up"}) ||
        !step({ip_tool, "-n", m_netns, "link", "set", m_ns_if, "up"}) ||
        !step({ip_tool, "link", "set", m_host_if, "up"})) {
        return;
    }

    auto const server = server_address();
    auto const other = other_address();
    auto const record = [](std::string const& name, std::string const& address) {
        return "--host-record=" + name + "," + address;
    };
    // --local=/test/ keeps every other name of the zone NXDOMAIN instead of "no upstream".
    if (!start("dns", {dnsmasq,
                       "--no-daemon",
                       "--conf-file=/dev/null",
                       "--no-resolv",
                       "--no-hosts",
                       "--bind-interfaces",
                       "--listen-address=" + server,
                       "--pid-file=",
                       "--local=/test/",
                       "--local-ttl=60",
                       "--log-queries",
                       "--log-facility=" + (m_log_dir / "dns-queries.log").string(),
                       record("ok.test", server),
                       record("wild.test", server),
                       record("a.wild.test", server),
                       record("b.a.wild.test", server),
                       record("denied.test", other),
                       record("rebind-lo.test", "127.0.0.1"),
                       record("rebind-gw.test", "10.0.2.2"),
                       record("rebind-host.test", host_address())})) {
        return;
    }
    auto const greeter = [](std::string const& address, std::uint16_t port) {
        return std::vector<std::string>{socat, "-d", "-d",
                                        "TCP4-LISTEN:" + std::to_string(port) + ",bind=" + address +
                                            ",reuseaddr,fork",
                                        "EXEC:/bin/echo " + greeting(address, port)};
    };
    auto const echo = [](std::string const& address, std::uint16_t port) {
        return std::vector<std::string>{
            socat, "-d", "-d",
            "UDP4-RECVFROM:" + std::to_string(port) + ",bind=" + address + ",fork", "PIPE"};
    };
    for (auto port : server_tcp_ports) {
        if (!start(tcp_label(server, port), greeter(server, port))) {
            return;
        }
    }
    if (!start(tcp_label(other, other_tcp_port), greeter(other, other_tcp_port))) {
        return;
    }
    for (auto port : server_udp_ports) {
        if (!start(udp_label(server, port), echo(server, port))) {
            return;
        }
    }
    wait_until_answering();
}

TestNetworkNamespace::~TestNetworkNamespace() {
    for (auto const& server : m_servers) {
        ::kill(-server.pid, SIGKILL);
        ::waitpid(server.pid, nullptr, 0);
    }
    // Deleting either end of a veth pair deletes both; deleting the namespace first would too,
    // but only once no process is left in it.
    if (m_veth_made) {
        (void)test::run_process({ip_tool, "link", "delete", m_host_if});
    }
    if (m_netns_made) {
        std::istringstream pids(test::run_process({ip_tool, "netns", "pids", m_netns}).out);
        for (pid_t pid = 0; pids >> pid;) {
            ::kill(pid, SIGKILL);
        }
        (void)test::run_process({ip_tool, "netns", "delete", m_netns});
    }
    if (!m_log_dir.empty() && std::getenv("MICROVM_E2E_KEEP") == nullptr) {
        std::error_code ignored;
        std::filesystem::remove_all(m_log_dir, ignored);
    }
}

std::string TestNetworkNamespace::greeting(std::string const& address, std::uint16_t port) {
    return "greeting-from-" + address + "-" + std::to_string(port);
}

std::string TestNetworkNamespace::dns_log() const {
    return test::read_file(m_log_dir / "dns-queries.log");
}

int TestNetworkNamespace::tcp_connections(std::string const& address, std::uint16_t port) const {
    return count(server_log(tcp_label(address, port)), "accepting connection from");
}

int TestNetworkNamespace::udp_datagrams(std::string const& address, std::uint16_t port) const {
    return count(server_log(udp_label(address, port)), "receiving packet from");
}

std::string TestNetworkNamespace::address(int host) const {
    return "198.18." + std::to_string(m_slot) + "." + std::to_string(host);
}

bool TestNetworkNamespace::step(std::vector<std::string> const& argv) {
    auto const result = test::run_process(argv);
    if (result.exit_code != 0) {
        std::string command;
        for (auto const& arg : argv) {
            command += (command.empty() ? "" : " ") + arg;
        }
        m_error = command + ": exit " + std::to_string(result.exit_code) + ": " + result.err;
    }
    return result.exit_code == 0;
}

// A slot is free when no live process holds its lock and no interface of the host has an
// address in it (a leftover of a process whose pid was reused, or something else's network).
bool TestNetworkNamespace::claim_slot() {
    for (int slot = 0; slot < slot_count; ++slot) {
        auto const path = "/tmp/microvm-e2e-net-slot-" + std::to_string(slot) + ".lock";
        base::Fd lock(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
        if (!lock || ::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
            continue;
        }
        auto const subnet = "198.18." + std::to_string(slot) + ".0/24";
        auto const in_use =
            test::run_process({ip_tool, "-4", "-o", "address", "show", "to", subnet});
        if (in_use.exit_code == 0 && in_use.out.empty()) {
            m_slot = slot;
            m_slot_lock = std::move(lock);
            return true;
        }
    }
    m_error = "no free test subnet in 198.18.0.0/24 .. 198.18." + std::to_string(slot_count - 1) +
              ".0/24";
    return false;
}

bool TestNetworkNamespace::start(std::string const& label,
                                 std::vector<std::string> const& command) {
    auto const log = m_log_dir / (label + ".log");
    base::Fd log_fd(::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!log_fd) {
        m_error = "open " + log.string() + " failed";
        return false;
    }
    std::vector<std::string> argv = {ip_tool, "netns", "exec", m_netns};
    argv.insert(argv.end(), command.begin(), command.end());
    std::vector<char*> argvp;
    for (auto& arg : argv) {
        argvp.push_back(arg.data());
    }
    argvp.push_back(nullptr);
    pid_t const parent = ::getpid();
    // Only async-signal-safe calls between fork and exec: the test binary has threads.
    pid_t const pid = ::fork();
    if (pid == 0) {
        ::setpgid(0, 0);
        // Dies with the test process even when it is killed, so no server outlives it. (The
        // signal is tied to the thread that forked: the fixture is made on gtest's main thread.)
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) {
            ::_exit(127);
        }
        int const null = ::open("/dev/null", O_RDONLY);
        ::dup2(null, 0);
        ::dup2(log_fd.get(), 1);
        ::dup2(log_fd.get(), 2);
        ::close_range(3, ~0U, 0);
        ::execv(argvp[0], argvp.data());
        ::_exit(127);
    }
    if (pid < 0) {
        m_error = "fork for " + label + " failed";
        return false;
    }
    ::setpgid(pid, pid);
    m_servers.push_back({.label = label, .pid = pid, .log = log});
    return true;
}

// Each server answers from the host, in the way a guest will use it: this proves the fixture
// before any VM test depends on it.
bool TestNetworkNamespace::wait_until_answering() {
    auto const server = server_address();
    auto const other = other_address();
    auto const dead_server = [this]() -> std::string {
        for (auto const& s : m_servers) {
            if (::waitpid(s.pid, nullptr, WNOHANG) == s.pid) {
                return s.label + " exited: " + test::read_file(s.log);
            }
        }
        return {};
    };
    auto const answered = [&](std::string const& what, auto attempt) {
        if (m_error.empty() && !eventually(attempt, ready_ceiling)) {
            auto const dead = dead_server();
            m_error = what + " did not answer from the host" + (dead.empty() ? "" : ": " + dead);
        }
    };
    answered("dnsmasq on " + server + ":53", [&] { return bool(tcp_connect(server, dns_port)); });
    for (auto port : server_tcp_ports) {
        answered("the TCP greeter on " + server + ":" + std::to_string(port),
                 [&] { return tcp_first_line(server, port) == greeting(server, port); });
    }
    answered("the TCP greeter on " + other + ":80", [&] {
        return tcp_first_line(other, other_tcp_port) == greeting(other, other_tcp_port);
    });
    for (auto port : server_udp_ports) {
        answered("the UDP echo on " + server + ":" + std::to_string(port),
                 [&] { return udp_exchange(server, port, "ready?") == "ready?"; });
    }
    return m_error.empty();
}

std::string TestNetworkNamespace::server_log(std::string const& label) const {
    for (auto const& server : m_servers) {
        if (server.label == label) {
            return test::read_file(server.log);
        }
    }
    return {};
}

} // namespace microvm::e2e
