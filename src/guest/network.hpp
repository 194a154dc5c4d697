// The guest's network, configured by microvm-init from /etc/microvm.json with plain ioctl(2)s
// (no ip, ifconfig or DHCP client: the image need not have them, and a static address needs no
// wait for a lease): loopback always; with network settings, the VM's one network interface
// (address, link up, default route), /etc/resolv.conf and /etc/hosts.
#pragma once

#include <netinet/in.h>

#include <chrono>
#include <optional>
#include <string>

#include "base/error.hpp"
#include "contract/guest_config.hpp"
#include "contract/network.hpp"

namespace microvm::guest {

// The VM's network interface: the first entry of `class_dir` (/sys/class/net), by name, that is
// an Ethernet device (its "type" file reads 1, ARPHRD_ETHER). The driver registers it while its
// module loads, so it is normally there at once; this looks again until `patience` has passed,
// then fails naming what it found.
Result<std::string> find_network_interface(std::string const& class_dir,
                                           std::chrono::milliseconds patience);

// Sets the link `name` up (SIOCSIFFLAGS with IFF_UP).
Result<void> set_link_up(std::string const& name);

// Gives `name` the address and netmask of `address` (SIOCSIFADDR, SIOCSIFNETMASK), sets the
// link up, and adds the default route via `gateway` (SIOCADDRT) unless it is empty. A default
// route that already exists is kept.
Result<void> configure_interface(std::string const& name, contract::Ipv4Cidr const& address,
                                 std::optional<in_addr> gateway);

// The text of /etc/resolv.conf: one "nameserver" line per server.
std::string resolv_conf_text(contract::GuestNetwork const& network);

// The text of /etc/hosts: localhost for both families, and `hostname` on the guest's own
// address (127.0.1.1, Debian's convention, when it has none), so that the workload can resolve
// its own name without a name server.
std::string hosts_text(std::string const& hostname,
                       std::optional<contract::GuestNetwork> const& network);

// Replaces `root`/etc/hosts and, with network settings that name servers, `root`/etc/resolv.conf
// (creating etc if the image has none). A file that is a symlink in the image (resolv.conf often
// points into /run) is replaced, never followed.
Result<void> write_network_files(std::string const& root, std::string const& hostname,
                                 std::optional<contract::GuestNetwork> const& network);

// The whole step, in the guest after the switch into its root: loopback up; with network
// settings, the interface configured; then the files, with `hostname` (the one set).
// Errors name the part that failed ("eth0: SIOCSIFADDR 10.0.2.15: ...").
Result<void> configure_network(std::optional<contract::GuestNetwork> const& network,
                               std::string const& hostname);

} // namespace microvm::guest
