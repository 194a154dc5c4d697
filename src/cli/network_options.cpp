#include "cli/network_options.hpp"

#include <charconv>

namespace microvm::cli {

namespace {

Result<std::uint16_t> parse_port(std::string_view text, char const* side) {
    unsigned value = 0;
    auto const [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size() || value == 0 ||
        value > 65535) {
        return fail(std::string(side) + " port \"" + std::string(text) + "\" is not 1..65535");
    }
    return static_cast<std::uint16_t>(value);
}

// Splits "[IP:]HOST" off the front of "...:GUEST": the address may itself hold colons when it
// is a bracketed IPv6 address.
struct HostSide {
    std::string address;
    std::string_view port;
};

Result<HostSide> split_host_side(std::string_view text) {
    if (text.starts_with('[')) {
        auto const close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
            return fail("expected [IPV6]:HOST_PORT before the guest port");
        }
        return HostSide{std::string(text.substr(1, close - 1)), text.substr(close + 2)};
    }
    auto const colon = text.rfind(':');
    if (colon == std::string_view::npos) {
        return HostSide{"", text};
    }
    auto address = text.substr(0, colon);
    if (address.find(':') != std::string_view::npos) {
        return fail("an IPv6 host address must be in brackets: [ADDRESS]:HOST:GUEST");
    }
    return HostSide{std::string(address), text.substr(colon + 1)};
}

Result<PortForward> parse_publish_parts(std::string_view spec) {
    PortForward forward;
    auto const slash = spec.rfind('/');
    if (slash != std::string_view::npos) {
        forward.protocol = TRY(parse_protocol(spec.substr(slash + 1)));
        spec = spec.substr(0, slash);
    }
    auto const colon = spec.rfind(':');
    if (colon == std::string_view::npos) {
        return fail("expected [IP:]HOST:GUEST (a host port is required)");
    }
    forward.guest = TRY(parse_port(spec.substr(colon + 1), "guest"));
    auto host = TRY(split_host_side(spec.substr(0, colon)));
    forward.host = TRY(parse_port(host.port, "host"));
    if (!host.address.empty()) {
        forward.host_address = std::move(host.address);
    }
    return forward;
}

} // namespace

Result<PortForward> parse_publish(std::string_view spec) {
    return TRY_CTX(parse_publish_parts(spec), "-p \"" + std::string(spec) + "\"");
}

void add_network_options(CLI::App& run, NetworkArgs& args) {
    run.add_option("-p,--publish", args.publish,
                   "Forward a host port to the guest: [IP:]HOST:GUEST[/tcp|/udp] (host side "
                   "binds 127.0.0.1 unless IP is given)");
    run.add_option("--network", args.network,
                   "user (default: userspace network with outbound access) or none (loopback "
                   "only)");
    run.add_flag("--no-outbound", args.no_outbound,
                 "Refuse every connection the guest opens (to the host or beyond); forwarded "
                 "ports keep working");
}

Result<void> apply_network_options(NetworkArgs const& args, RunOptions& options) {
    options.network = TRY_CTX(parse_network_mode(args.network), "--network");
    options.outbound = args.no_outbound ? Outbound::deny : Outbound::allow;
    for (auto const& spec : args.publish) {
        options.ports.push_back(TRY(parse_publish(spec)));
    }
    if (options.network == NetworkMode::none && !options.ports.empty()) {
        return fail("-p " + args.publish.front() +
                    ": --network none has no network to forward a port to");
    }
    return {};
}

} // namespace microvm::cli
