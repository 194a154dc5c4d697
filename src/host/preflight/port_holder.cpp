#include "host/preflight/port_holder.hpp"

#include <arpa/inet.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <filesystem>

#include "base/sys.hpp"

namespace microvm::preflight {
namespace {

// A /proc/net table holds ~150 bytes per socket; this allows for hundreds of thousands.
constexpr std::size_t max_proc_net_bytes = 64u << 20;
constexpr unsigned tcp_listen = 0x0A;

std::vector<std::string_view> fields_of(std::string_view line) {
    std::vector<std::string_view> fields;
    std::size_t start = 0;
    while (true) {
        start = line.find_first_not_of(' ', start);
        if (start == std::string_view::npos) {
            return fields;
        }
        std::size_t const end = line.find(' ', start);
        fields.push_back(line.substr(start, end - start));
        if (end == std::string_view::npos) {
            return fields;
        }
        start = end;
    }
}

template <typename T>
std::optional<T> parse_number(std::string_view text, int base) {
    T value{};
    auto const [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, base);
    if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

// The kernel prints each 32-bit word of the address in host byte order ("0100007F" is
// 127.0.0.1 on x86), so each word goes back into memory as a native integer.
bool parse_address(std::string_view hex, bool ipv6, std::array<unsigned char, 16>& out) {
    std::size_t const words = ipv6 ? 4 : 1;
    if (hex.size() != words * 8) {
        return false;
    }
    for (std::size_t i = 0; i < words; ++i) {
        auto const word = parse_number<std::uint32_t>(hex.substr(i * 8, 8), 16);
        if (!word) {
            return false;
        }
        std::memcpy(out.data() + i * 4, &*word, 4);
    }
    return true;
}

bool is_wildcard(ProcNetSocket const& socket) {
    std::size_t const length = socket.ipv6 ? 16 : 4;
    for (std::size_t i = 0; i < length; ++i) {
        if (socket.address[i] != 0) {
            return false;
        }
    }
    return true;
}

// Whether `socket` stands in the way of binding `wanted` (std::nullopt: a wildcard address).
bool clashes(ProcNetSocket const& socket, std::optional<ProcNetSocket> const& wanted) {
    if (!wanted || is_wildcard(socket)) {
        return true;
    }
    return socket.ipv6 == wanted->ipv6 && socket.address == wanted->address;
}

std::optional<ProcNetSocket> wanted_address(std::string const& host_address) {
    ProcNetSocket wanted;
    if (::inet_pton(AF_INET, host_address.c_str(), wanted.address.data()) == 1) {
        wanted.ipv6 = false;
    } else if (::inet_pton(AF_INET6, host_address.c_str(), wanted.address.data()) == 1) {
        wanted.ipv6 = true;
    } else {
        return std::nullopt;
    }
    return is_wildcard(wanted) ? std::nullopt : std::optional(wanted);
}

std::string trimmed(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
        text.pop_back();
    }
    return text;
}

} // namespace

std::vector<ProcNetSocket> parse_proc_net(std::string_view text, bool ipv6) {
    std::vector<ProcNetSocket> sockets;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        auto const fields = fields_of(text.substr(start, end - start));
        start = end + 1;
        // "sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ..."; the
        // heading line fails the parse below.
        if (fields.size() < 10) {
            continue;
        }
        std::string_view const local = fields[1];
        std::size_t const colon = local.find(':');
        ProcNetSocket socket;
        socket.ipv6 = ipv6;
        auto const port = colon == std::string_view::npos
                              ? std::nullopt
                              : parse_number<std::uint16_t>(local.substr(colon + 1), 16);
        auto const state = parse_number<unsigned>(fields[3], 16);
        auto const inode = parse_number<ino_t>(fields[9], 10);
        if (!port || !state || !inode ||
            !parse_address(local.substr(0, colon), ipv6, socket.address)) {
            continue;
        }
        socket.port = *port;
        socket.state = *state;
        socket.inode = *inode;
        sockets.push_back(socket);
    }
    return sockets;
}

std::optional<PortHolder> find_socket_owner(ino_t inode) {
    std::string const wanted = "socket:[" + std::to_string(inode) + "]";
    std::filesystem::path const proc = "/proc";
    auto processes = base::sys::list_directory(proc);
    if (!processes) {
        spdlog::debug("who holds socket {} is unknown: {}", inode, processes.error().text());
        return std::nullopt;
    }
    for (auto const& name : *processes) {
        auto const pid = parse_number<pid_t>(name, 10);
        if (!pid) {
            continue;
        }
        // Processes come and go while we look (a listing fails with ENOENT when its process
        // exits meanwhile), and other users' fds are closed to non-root: every failure here
        // only means "not this one".
        auto const fd_dir = proc / name / "fd";
        auto fds = base::sys::list_directory(fd_dir);
        if (!fds) {
            continue;
        }
        for (auto const& fd : *fds) {
            std::error_code link_ec;
            auto const target = std::filesystem::read_symlink(fd_dir / fd, link_ec);
            if (!link_ec && target.native() == wanted) {
                auto comm = base::sys::read_file(proc / name / "comm", 4096);
                return PortHolder{.pid = *pid, .command = comm ? trimmed(*comm) : std::string()};
            }
        }
    }
    return std::nullopt;
}

std::optional<PortHolder> find_port_holder(Protocol protocol, std::string const& host_address,
                                           std::uint16_t port) {
    auto const wanted = wanted_address(host_address);
    std::string const table = protocol == Protocol::tcp ? "/proc/net/tcp" : "/proc/net/udp";
    std::vector<ProcNetSocket> candidates;
    for (bool const ipv6 : {false, true}) {
        auto const text = base::sys::read_file(table + (ipv6 ? "6" : ""), max_proc_net_bytes);
        if (!text) {
            continue; // no IPv6 on this host, or /proc/net hidden
        }
        for (auto const& socket : parse_proc_net(*text, ipv6)) {
            if (socket.port == port && socket.inode != 0 && clashes(socket, wanted)) {
                candidates.push_back(socket);
            }
        }
    }
    // A listener is what refuses the bind; a socket merely bound to the port comes second.
    std::stable_partition(candidates.begin(), candidates.end(), [&](ProcNetSocket const& s) {
        return protocol != Protocol::tcp || s.state == tcp_listen;
    });
    for (auto const& socket : candidates) {
        if (auto holder = find_socket_owner(socket.inode)) {
            return holder;
        }
    }
    return std::nullopt;
}

} // namespace microvm::preflight
