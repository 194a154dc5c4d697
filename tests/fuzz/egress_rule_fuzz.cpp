// Egress rules (include/microvm/egress.hpp): the command line, policy files and runner.json all
// go through parse_egress_rule(), and the host hands rules to the runner as their canonical
// text. Input: a policy file's text.
//
// Checked: every parsed rule's to_string() parses back to an equal rule and prints the same
// again; a rule's fields are in range (ports ordered, prefix host bits zero, a domain that is
// lower case without a trailing dot); a name rule covers its own name, a subdomain rule a name
// below it but not the name itself; a policy of the parsed rules that validate() accepts
// round-trips through its JSON.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "contract/egress_json.hpp"
#include "fuzz_support.hpp"

using namespace microvm;

namespace {

void check_rule(EgressRule const& rule) {
    std::string const text = rule.to_string();
    auto const again = parse_egress_rule(text);
    if (!again) {
        fuzz::finding("egress rule: the canonical text \"" + text +
                      "\" does not parse: " + again.error().text());
    }
    if (!(*again == rule) || again->to_string() != text) {
        fuzz::finding("egress rule: \"" + text + "\" parses back as \"" + again->to_string() +
                      "\"");
    }
    if (rule.port_low == 0 || rule.port_low > rule.port_high) {
        fuzz::finding("egress rule: \"" + text + "\" has ports " + std::to_string(rule.port_low) +
                      "-" + std::to_string(rule.port_high));
    }
    switch (rule.target) {
    case EgressRule::Target::name:
    case EgressRule::Target::subdomains: {
        std::string const& domain = rule.domain;
        bool const clean = !domain.empty() && !domain.ends_with('.') && !domain.starts_with('.') &&
                           domain.size() <= 253 && domain.find("..") == std::string::npos &&
                           std::all_of(domain.begin(), domain.end(), [](char c) {
                               return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                                      c == '-' || c == '_' || c == '.';
                           });
        if (!clean) {
            fuzz::finding("egress rule: \"" + text + "\" has the domain \"" + domain + "\"");
        }
        // A name rule covers its name only; a subdomain rule every name below it, never the
        // name itself nor one that merely ends with the same text.
        bool const subdomains = rule.target == EgressRule::Target::subdomains;
        if (rule.matches_name(domain) == subdomains ||
            rule.matches_name("x." + domain) != subdomains ||
            rule.matches_name("a.b." + domain) != subdomains || rule.matches_name("x" + domain) ||
            rule.matches_name("x\\." + domain)) {
            fuzz::finding("egress rule: \"" + text + "\" matches names wrongly");
        }
        break;
    }
    case EgressRule::Target::prefix: {
        IpPrefix const& prefix = rule.prefix;
        if (prefix.length > prefix.address.size() * 8 || !prefix.contains(prefix.address) ||
            !prefix.contains(prefix)) {
            fuzz::finding("egress rule: \"" + text +
                          "\" has a prefix that does not contain itself");
        }
        if (rule.matches_name(prefix.address.to_string())) {
            fuzz::finding("egress rule: the IP rule \"" + text + "\" matches a name");
        }
        break;
    }
    }
}

void check_json(std::vector<EgressRule> const& rules) {
    EgressPolicy const policy{.allow = rules, .dns = {"192.0.2.53"}};
    if (!validate(policy)) {
        return;
    }
    nlohmann::json const object = {
        {"egress", nlohmann::json::parse(contract::egress_to_json(policy).dump())}};
    auto const again = contract::read_egress_policy(object, "egress", "egress");
    if (!again || !*again || !(**again == policy)) {
        fuzz::finding("egress policy: does not round-trip through " + object.dump() +
                      (again ? "" : ": " + again.error().text()));
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    std::string_view const text = fuzz::as_text(data, size);
    if (auto const rule = parse_egress_rule(text)) {
        check_rule(*rule);
    }
    auto const rules = parse_egress_rules(text);
    if (!rules) {
        if (rules.error().text().rfind("line ", 0) != 0) {
            fuzz::finding("egress rules: an error that names no line: " + rules.error().text());
        }
        return 0;
    }
    for (auto const& rule : *rules) {
        check_rule(rule);
    }
    check_json(*rules);
    return 0;
}
