#include "guest/network.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/route.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include "base/fd.hpp"
#include "base/safe_file.hpp"
#include "base/sys.hpp"
#include "guest/console.hpp"
#include "guest/files.hpp"

namespace microvm::guest {

namespace {

constexpr char loopback_name[] = "lo";
// ARPHRD_ETHER, as /sys/class/net/<name>/type shows it.
constexpr char ethernet_type[] = "1";
constexpr std::chrono::milliseconds interface_poll{20};
// The address /etc/hosts gives the hostname when the guest has no address of its own.
constexpr char own_name_fallback[] = "127.0.1.1";

std::string address_text(in_addr address) {
    char text[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &address, text, sizeof text);
    return text;
}

// An AF_INET datagram socket: the handle the interface and routing ioctls are made on.
Result<base::Fd> control_socket() {
    base::Fd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd) {
        return fail_errno("socket(AF_INET)");
    }
    return fd;
}

Result<ifreq> interface_request(std::string const& name) {
    if (name.empty() || name.size() >= IFNAMSIZ) {
        return fail("\"" + name + "\" is not an interface name");
    }
    ifreq request{};
    std::memcpy(request.ifr_name, name.data(), name.size());
    return request;
}

Result<void> set_interface_address(int socket, std::string const& name, unsigned long command,
                                   char const* command_name, in_addr address) {
    ifreq request = TRY(interface_request(name));
    sockaddr_in inet{};
    inet.sin_family = AF_INET;
    inet.sin_addr = address;
    std::memcpy(&request.ifr_addr, &inet, sizeof inet);
    if (::ioctl(socket, command, &request) != 0) {
        return fail_errno(std::string(command_name) + " " + address_text(address));
    }
    return {};
}

Result<void> link_up(int socket, std::string const& name) {
    ifreq request = TRY(interface_request(name));
    if (::ioctl(socket, SIOCGIFFLAGS, &request) != 0) {
        return fail_errno("SIOCGIFFLAGS");
    }
    request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
    if (::ioctl(socket, SIOCSIFFLAGS, &request) != 0) {
        return fail_errno("SIOCSIFFLAGS up");
    }
    return {};
}

Result<void> add_default_route(int socket, std::string const& name, in_addr gateway) {
    rtentry route{};
    sockaddr_in inet{};
    inet.sin_family = AF_INET;
    std::memcpy(&route.rt_dst, &inet, sizeof inet);
    std::memcpy(&route.rt_genmask, &inet, sizeof inet);
    inet.sin_addr = gateway;
    std::memcpy(&route.rt_gateway, &inet, sizeof inet);
    route.rt_flags = RTF_UP | RTF_GATEWAY;
    std::string device = name;
    route.rt_dev = device.data();
    if (::ioctl(socket, SIOCADDRT, &route) != 0 && errno != EEXIST) {
        return fail_errno("SIOCADDRT default via " + address_text(gateway));
    }
    return {};
}

// The names under `class_dir` that are Ethernet devices, sorted; none while `class_dir` does
// not exist. Fails when it cannot be read.
Result<std::vector<std::string>> ethernet_interfaces(std::string const& class_dir) {
    auto listed = base::sys::list_directory(class_dir);
    if (!listed) {
        if (listed.error().errno_value() == ENOENT) {
            return std::vector<std::string>();
        }
        return std::unexpected(std::move(listed.error()));
    }
    std::vector<std::string> names;
    for (auto const& name : *listed) {
        // An interface that went away meanwhile, or has no readable type, is not a candidate.
        auto type = read_optional_file(class_dir + "/" + name + "/type");
        if (!type || !*type) {
            continue;
        }
        std::string text = **type;
        while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
            text.pop_back();
        }
        if (text == ethernet_type && name != loopback_name) {
            names.push_back(name);
        }
    }
    std::sort(names.begin(), names.end());
    return names;
}

Result<void> write_etc_file(base::Fd const& root, char const* relative, std::string const& text) {
    // Resolved as the guest resolves it: an etc that is a symlink within the image is followed
    // inside this root, which is all the guest's own.
    TRY_CTX(base::write_file_in_root(root, relative, text, 0644, base::Resolve::in_root),
            std::string("write /") + relative);
    return {};
}

} // namespace

Result<std::string> find_network_interface(std::string const& class_dir,
                                           std::chrono::milliseconds patience) {
    auto const deadline = std::chrono::steady_clock::now() + patience;
    while (true) {
        auto names = TRY_CTX(ethernet_interfaces(class_dir), "find the network interface");
        if (!names.empty()) {
            return names.front();
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            return fail("no network interface appeared in " + class_dir + " within " +
                        std::to_string(patience.count()) + " ms");
        }
        std::this_thread::sleep_for(interface_poll);
    }
}

Result<void> set_link_up(std::string const& name) {
    base::Fd const socket = TRY(control_socket());
    TRY_CTX(link_up(socket.get(), name), name);
    return {};
}

Result<void> configure_interface(std::string const& name, contract::Ipv4Cidr const& address,
                                 std::optional<in_addr> gateway) {
    base::Fd const socket = TRY(control_socket());
    TRY_CTX(set_interface_address(socket.get(), name, SIOCSIFADDR, "SIOCSIFADDR", address.address),
            name);
    TRY_CTX(set_interface_address(socket.get(), name, SIOCSIFNETMASK, "SIOCSIFNETMASK",
                                  address.netmask()),
            name);
    TRY_CTX(link_up(socket.get(), name), name);
    if (gateway) {
        TRY_CTX(add_default_route(socket.get(), name, *gateway), name);
    }
    return {};
}

std::string resolv_conf_text(contract::GuestNetwork const& network) {
    std::string text = "# Written by microvm-init from /etc/microvm.json.\n";
    for (auto const& server : network.dns) {
        text += "nameserver " + server + "\n";
    }
    return text;
}

std::string hosts_text(std::string const& hostname,
                       std::optional<contract::GuestNetwork> const& network) {
    std::string own_address = own_name_fallback;
    if (network) {
        own_address = network->address.substr(0, network->address.find('/'));
    }
    std::string text = "127.0.0.1\tlocalhost\n"
                       "::1\tlocalhost ip6-localhost ip6-loopback\n";
    if (!hostname.empty()) {
        text += own_address + "\t" + hostname + "\n";
    }
    return text;
}

Result<void> write_network_files(std::string const& root, std::string const& hostname,
                                 std::optional<contract::GuestNetwork> const& network) {
    base::Fd const dir = TRY(base::open_root(root));
    if (auto etc = base::open_in_root(dir, "etc", O_PATH | O_DIRECTORY, 0, base::Resolve::in_root);
        !etc) {
        if (etc.error().errno_value() != ENOENT) {
            return std::unexpected(std::move(etc.error()).context("open /etc"));
        }
        TRY_CTX(base::mkdirs_no_follow(dir, "etc", 0755), "create /etc");
    }
    TRY(write_etc_file(dir, "etc/hosts", hosts_text(hostname, network)));
    if (network && !network->dns.empty()) {
        TRY(write_etc_file(dir, "etc/resolv.conf", resolv_conf_text(*network)));
    }
    return {};
}

Result<void> configure_network(std::optional<contract::GuestNetwork> const& network,
                               std::string const& hostname) {
    TRY_CTX(set_link_up(loopback_name), "loopback");
    if (network) {
        // The module loaded before the root share was mounted; its device is there long before
        // this, so the patience only covers an unusually slow probe.
        constexpr std::chrono::milliseconds interface_patience{5000};
        auto const name = TRY(find_network_interface("/sys/class/net", interface_patience));
        auto const address = TRY_CTX(contract::parse_ipv4_cidr(network->address), "address");
        std::optional<in_addr> gateway;
        if (!network->gateway.empty()) {
            gateway = TRY_CTX(contract::parse_ipv4(network->gateway), "gateway");
        }
        TRY(configure_interface(name, address, gateway));
        trace("network interface " + name + " configured");
    }
    TRY(write_network_files("/", hostname, network));
    return {};
}

} // namespace microvm::guest
