// The egress rule grammar (include/microvm/egress.hpp): one parser for the command line, policy
// files, runner.json and the runner itself.
#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

#include <microvm/egress.hpp>
#include <microvm/options.hpp>

#include "base/error.hpp"

namespace microvm {

namespace {

constexpr std::size_t max_domain_length = 253;
constexpr std::size_t max_label_length = 63;

std::string quoted(std::string_view text) {
    return "\"" + std::string(text) + "\"";
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

Result<unsigned> parse_number(std::string_view digits, unsigned max, std::string_view what) {
    unsigned value = 0;
    auto const [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || error != std::errc{} || end != digits.data() + digits.size() ||
        value > max) {
        return fail(std::string(what) + " " + quoted(digits) + " is not a number in 0.." +
                    std::to_string(max));
    }
    return value;
}

Result<std::uint16_t> parse_port(std::string_view digits) {
    auto const port = TRY(parse_number(digits, 65535, "port"));
    if (port == 0) {
        return fail("port 0 is not a port; name 1..65535");
    }
    return static_cast<std::uint16_t>(port);
}

// Letters, digits, '-' and '_' (service names such as _dmarc), 1..63 per label, no leading or
// trailing '-'.
Result<std::string> parse_domain(std::string_view text) {
    if (text.ends_with('.')) {
        text.remove_suffix(1);
    }
    if (text.empty()) {
        return fail("empty domain name");
    }
    if (text.size() > max_domain_length) {
        return fail("a domain name is at most " + std::to_string(max_domain_length) + " bytes");
    }
    std::string domain;
    std::size_t label = 0;
    for (std::size_t i = 0; i <= text.size(); ++i) {
        if (i == text.size() || text[i] == '.') {
            if (label == 0) {
                return fail("empty label in " + quoted(text));
            }
            if (domain.back() == '-' || domain[domain.size() - label] == '-') {
                return fail("a label of " + quoted(text) + " starts or ends with '-'");
            }
            if (i < text.size()) {
                domain += '.';
            }
            label = 0;
            continue;
        }
        char const c = lower(text[i]);
        if (!(c >= 'a' && c <= 'z') && !is_digit(c) && c != '-' && c != '_') {
            return fail(quoted(text) + " has '" + std::string(1, text[i]) +
                        "', which is not allowed in a domain name");
        }
        if (++label > max_label_length) {
            return fail("a label of " + quoted(text) + " is longer than 63 bytes");
        }
        domain += c;
    }
    if (std::all_of(domain.begin(), domain.end(), [](char c) { return is_digit(c) || c == '.'; })) {
        return fail(quoted(text) + " is not an IPv4 address");
    }
    return domain;
}

IpAddress masked(IpAddress address, unsigned length) {
    for (std::size_t i = 0; i < address.size(); ++i) {
        unsigned const bits_before = static_cast<unsigned>(i) * 8;
        if (length <= bits_before) {
            address.bytes[i] = 0;
        } else if (length < bits_before + 8) {
            address.bytes[i] &= static_cast<std::uint8_t>(0xff00u >> (length - bits_before));
        }
    }
    return address;
}

// "192.0.2.7", "10.1.0.0/16", "[2001:db8::1]", "[2001:db8::]/32".
Result<IpPrefix> parse_prefix(std::string_view text) {
    std::string_view address_text = text;
    std::string_view length_text;
    bool const bracketed = text.starts_with('[');
    if (bracketed) {
        auto const close = text.find(']');
        if (close == std::string_view::npos) {
            return fail(quoted(text) + " has '[' without ']'");
        }
        address_text = text.substr(1, close - 1);
        auto const rest = text.substr(close + 1);
        if (!rest.empty() && !rest.starts_with('/')) {
            return fail("unexpected " + quoted(rest) + " after " +
                        quoted(text.substr(0, close + 1)));
        }
        length_text = rest;
    } else if (auto const slash = text.find('/'); slash != std::string_view::npos) {
        address_text = text.substr(0, slash);
        length_text = text.substr(slash);
    }
    IpPrefix prefix;
    prefix.address = TRY(parse_ip_address(address_text));
    if (prefix.address.v6 != bracketed) {
        return fail(bracketed
                        ? quoted(address_text) + " is not an IPv6 address"
                        : "write an IPv6 address in brackets: [" + std::string(address_text) + "]");
    }
    unsigned const max = prefix.address.v6 ? 128 : 32;
    prefix.length = max;
    if (!length_text.empty()) {
        prefix.length = TRY(parse_number(length_text.substr(1), max, "prefix length"));
    }
    if (masked(prefix.address, prefix.length) != prefix.address) {
        return fail(quoted(text) + " has bits set beyond its prefix length; did you mean " +
                    IpPrefix{masked(prefix.address, prefix.length), prefix.length}.to_string() +
                    "?");
    }
    return prefix;
}

Result<EgressRule> parse_rule(std::string_view text) {
    EgressRule rule;
    if (text.empty()) {
        return fail("empty rule");
    }
    // "/tcp" or "/udp" at the end; any other text after the last '/' is a prefix length.
    if (auto const slash = text.rfind('/'); slash != std::string_view::npos) {
        auto const suffix = text.substr(slash + 1);
        if (!suffix.empty() && !is_digit(suffix.front())) {
            rule.protocol = TRY(parse_protocol(suffix));
            text = text.substr(0, slash);
        }
    }
    if (!text.starts_with('[') && std::count(text.begin(), text.end(), ':') > 1) {
        return fail("write an IPv6 address in brackets: [ADDRESS], [ADDRESS]:PORT");
    }
    // ":PORT" or ":LOW-HIGH": the last ':' outside brackets.
    auto const close = text.rfind(']');
    auto const colon = text.rfind(':');
    if (colon != std::string_view::npos && (close == std::string_view::npos || colon > close)) {
        auto const ports = text.substr(colon + 1);
        text = text.substr(0, colon);
        auto const dash = ports.find('-');
        rule.port_low = TRY(parse_port(ports.substr(0, dash)));
        rule.port_high = dash == std::string_view::npos ? rule.port_low
                                                        : TRY(parse_port(ports.substr(dash + 1)));
        if (rule.port_low > rule.port_high) {
            return fail("port range " + quoted(ports) + " ends before it starts");
        }
    }
    if (text.empty()) {
        return fail("no destination (a name or an address) before the port");
    }
    bool const looks_like_ip =
        text.starts_with('[') || std::all_of(text.begin(), text.end(), [](char c) {
            return is_digit(c) || c == '.' || c == '/';
        });
    if (looks_like_ip) {
        rule.target = EgressRule::Target::prefix;
        rule.prefix = TRY(parse_prefix(text));
    } else if (text.starts_with("*.")) {
        rule.target = EgressRule::Target::subdomains;
        if (text.size() == 2) {
            return fail("no domain after \"*.\"");
        }
        rule.domain = TRY(parse_domain(text.substr(2)));
    } else {
        if (text.find('*') != std::string_view::npos) {
            return fail("'*' is allowed only as a whole first label (\"*.example.com\")");
        }
        rule.domain = TRY(parse_domain(text));
    }
    return rule;
}

} // namespace

IpAddress IpAddress::v4(std::uint32_t host_order) {
    IpAddress address;
    address.bytes[0] = static_cast<std::uint8_t>(host_order >> 24);
    address.bytes[1] = static_cast<std::uint8_t>(host_order >> 16);
    address.bytes[2] = static_cast<std::uint8_t>(host_order >> 8);
    address.bytes[3] = static_cast<std::uint8_t>(host_order);
    return address;
}

std::string IpAddress::to_string() const {
    char text[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), text, sizeof text);
    return text;
}

Result<IpAddress> parse_ip_address(std::string_view text) {
    std::string const copy(text);
    IpAddress address;
    if (::inet_pton(AF_INET, copy.c_str(), address.bytes.data()) == 1) {
        return address;
    }
    if (::inet_pton(AF_INET6, copy.c_str(), address.bytes.data()) == 1) {
        address.v6 = true;
        return address;
    }
    bool const dotted = copy.find(':') == std::string::npos;
    return fail(quoted(text) + (dotted ? " is not an IPv4 address" : " is not an IPv6 address"));
}

bool IpPrefix::contains(IpAddress const& candidate) const {
    return candidate.v6 == address.v6 && masked(candidate, length) == address;
}

bool IpPrefix::contains(IpPrefix const& inner) const {
    return inner.length >= length && contains(inner.address);
}

std::string IpPrefix::to_string() const {
    unsigned const max = address.v6 ? 128 : 32;
    std::string text = address.v6 ? "[" + address.to_string() + "]" : address.to_string();
    return length == max ? text : text + "/" + std::to_string(length);
}

bool EgressRule::matches_name(std::string_view name) const {
    switch (target) {
    case Target::name:
        return name == domain;
    case Target::subdomains:
        // A name with an escape is never covered: ldns writes a '.' inside a label as "\.", so
        // "evil\.example.com" (labels "evil.example" and "com") would otherwise pass as being
        // below example.com.
        return name.find('\\') == std::string_view::npos && name.size() > domain.size() + 1 &&
               name.ends_with(domain) && name[name.size() - domain.size() - 1] == '.';
    case Target::prefix:
        return false;
    }
    return false;
}

std::string EgressRule::to_string() const {
    std::string text = target == Target::prefix       ? prefix.to_string()
                       : target == Target::subdomains ? "*." + domain
                                                      : domain;
    if (!any_port()) {
        text += ":" + std::to_string(port_low);
        if (port_high != port_low) {
            text += "-" + std::to_string(port_high);
        }
    }
    text += "/";
    text += microvm::to_string(protocol);
    return text;
}

Result<EgressRule> parse_egress_rule(std::string_view text) {
    return TRY_CTX(parse_rule(text), "egress rule " + quoted(text));
}

Result<std::vector<EgressRule>> parse_egress_rules(std::string_view text) {
    std::vector<EgressRule> rules;
    std::size_t line_number = 0;
    while (!text.empty()) {
        ++line_number;
        auto const end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
        line = line.substr(0, line.find('#'));
        auto const first = line.find_first_not_of(" \t\r");
        if (first == std::string_view::npos) {
            continue;
        }
        line = line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
        rules.push_back(TRY_CTX(parse_egress_rule(line), "line " + std::to_string(line_number)));
    }
    return rules;
}

Result<void> validate(EgressPolicy const& policy) {
    for (std::size_t i = 0; i < policy.dns.size(); ++i) {
        TRY_CTX(parse_ip_address(policy.dns[i]), "dns[" + std::to_string(i) + "]");
    }
    for (std::size_t i = 0; i < policy.allow.size(); ++i) {
        auto const& rule = policy.allow[i];
        // A rule built in code, not parsed, must still be one the grammar writes: runner.json and
        // the VM's state carry its text.
        std::string const field = "allow[" + std::to_string(i) + "]";
        auto const reparsed = TRY_CTX(parse_egress_rule(rule.to_string()), field);
        if (reparsed != rule) {
            return fail(field + ": \"" + rule.to_string() +
                        "\" is not in canonical form (a domain in lower case without a trailing "
                        "dot, an IP prefix without host bits)");
        }
        if (rule.target == EgressRule::Target::prefix && rule.prefix.address.v6) {
            return fail("allow[" + std::to_string(i) + "]: \"" + rule.to_string() +
                        "\": IPv6 destinations are not supported yet; the guest has no IPv6 "
                        "network");
        }
    }
    return {};
}

} // namespace microvm
