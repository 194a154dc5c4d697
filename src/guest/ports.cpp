#include "guest/ports.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <thread>

#include "contract/guest_protocol.hpp"
#include "contract/status_line.hpp"
#include "guest/console.hpp"
#include "guest/files.hpp"

namespace microvm::guest {
namespace {

// How often to look again while waiting for ports or for the host end of the status port.
constexpr std::chrono::milliseconds poll_interval{10};

base::Fd open_port(std::map<std::string, std::string> const& found, std::string const& name) {
    auto const it = found.find(name);
    if (it == found.end()) {
        log("no virtio-serial port named " + name + "; the host did not configure it");
        return {};
    }
    base::Fd fd(::open(it->second.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC));
    if (!fd) {
        log(Error::from_errno("open " + it->second + " (port " + name + ")").text());
    }
    return fd;
}

} // namespace

std::map<std::string, std::string> discover_ports(std::string const& class_dir,
                                                  std::string const& dev_dir) {
    std::map<std::string, std::string> ports;
    std::error_code ec;
    // Incremented with an error_code: the range-for form would throw, and PID 1 must not.
    for (std::filesystem::directory_iterator it(class_dir, ec), end; !ec && it != end;
         it.increment(ec)) {
        auto const& entry = *it;
        std::string const device = entry.path().filename().string();
        if (!device.starts_with("vport")) {
            continue;
        }
        auto const text = read_optional_file(entry.path().string() + "/name");
        if (!text || !*text) {
            continue;
        }
        std::string name = **text;
        while (!name.empty() && (name.back() == '\n' || name.back() == '\0')) {
            name.pop_back();
        }
        if (!name.empty()) {
            ports.emplace(std::move(name), dev_dir + "/" + device);
        }
    }
    return ports;
}

Ports open_ports(std::string const& class_dir, std::string const& dev_dir,
                 std::chrono::milliseconds patience) {
    auto const deadline = std::chrono::steady_clock::now() + patience;
    auto all_named = [](std::map<std::string, std::string> const& found) {
        return found.contains(contract::stdout_port_name) &&
               found.contains(contract::stderr_port_name) &&
               found.contains(contract::status_port_name);
    };
    auto found = discover_ports(class_dir, dev_dir);
    while (!all_named(found) && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(poll_interval);
        found = discover_ports(class_dir, dev_dir);
    }
    Ports ports;
    ports.stdout_port = open_port(found, contract::stdout_port_name);
    ports.stderr_port = open_port(found, contract::stderr_port_name);
    ports.status_port = open_port(found, contract::status_port_name);
    return ports;
}

Result<void> report_status(int port, int status, std::chrono::milliseconds patience) {
    // The virtio console driver blocks writers while the host end is closed; a host that never
    // opens it must not keep the VM from powering off.
    auto const deadline = std::chrono::steady_clock::now() + patience;
    while (true) {
        pollfd ready{.fd = port, .events = POLLOUT, .revents = 0};
        if (::poll(&ready, 1, 0) == 1 && (ready.revents & POLLOUT) != 0) {
            break;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            return fail("the host end of the status port is not open");
        }
        std::this_thread::sleep_for(poll_interval);
    }
    std::string const line = contract::encode_exit_status(status);
    if (::write(port, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
        return fail_errno("write " + std::string(contract::status_port_name));
    }
    return {};
}

} // namespace microvm::guest
