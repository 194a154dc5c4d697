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
                 "Refuse every connection the guest opens (to the host or beyond): the empty "
                 "egress allow-list; forwarded ports keep working");
    run.add_option("--egress-allow", args.egress_allow,
                   "Deny the guest's connections by default and allow RULE: NAME, *.NAME, IP or "
                   "CIDR, each with optional :PORT or :LOW-HIGH and /tcp or /udp (default: any "
                   "port, tcp); repeatable");
    run.add_option("--egress-policy", args.egress_policy_file,
                   "Read egress rules from FILE, one per line, '#' comments");
    run.add_option("--dns", args.dns,
                   "Upstream resolver for the names an egress policy allows (default: the "
                   "host's /etc/resolv.conf); repeatable");
}

namespace {

Result<std::optional<EgressPolicy>> egress_policy(NetworkArgs const& args) {
    bool const wanted =
        args.no_outbound || !args.egress_allow.empty() || !args.egress_policy_file.empty();
    if (!wanted) {
        if (!args.dns.empty()) {
            return fail("--dns " + args.dns.front() +
                        ": names an upstream for microvm's resolver, which only a VM under an "
                        "egress policy has (--egress-allow, --egress-policy or --no-outbound)");
        }
        return std::nullopt;
    }
    if (args.no_outbound && (!args.egress_allow.empty() || !args.egress_policy_file.empty())) {
        return fail("--no-outbound allows nothing; it cannot be combined with --egress-allow or "
                    "--egress-policy");
    }
    EgressPolicy policy;
    for (auto const& text : args.egress_allow) {
        policy.allow.push_back(TRY_CTX(parse_egress_rule(text), "--egress-allow"));
    }
    if (!args.egress_policy_file.empty()) {
        auto rules = TRY_CTX(read_egress_rules_file(args.egress_policy_file), "--egress-policy");
        policy.allow.insert(policy.allow.end(), rules.begin(), rules.end());
    }
    policy.dns = args.dns;
    TRY_CTX(validate(policy), "egress policy");
    return policy;
}

} // namespace

Result<void> apply_network_options(NetworkArgs const& args, RunOptions& options) {
    options.network = TRY_CTX(parse_network_mode(args.network), "--network");
    options.egress = TRY(egress_policy(args));
    for (auto const& spec : args.publish) {
        options.ports.push_back(TRY(parse_publish(spec)));
    }
    if (options.network == NetworkMode::none && !options.ports.empty()) {
        return fail("-p " + args.publish.front() +
                    ": --network none has no network to forward a port to");
    }
    if (options.network == NetworkMode::none && options.egress) {
        if (!args.no_outbound) {
            return fail("--network none has no network for an egress policy to filter");
        }
        // Without a network there is nothing to deny, as before policies existed.
        options.egress.reset();
    }
    return {};
}

} // namespace microvm::cli
