#include "contract/egress_json.hpp"

#include "contract/json_fields.hpp"

namespace microvm::contract {

nlohmann::ordered_json egress_to_json(EgressPolicy const& policy) {
    nlohmann::ordered_json out;
    auto& allow = out["allow"] = nlohmann::ordered_json::array();
    for (auto const& rule : policy.allow) {
        allow.push_back(rule.to_string());
    }
    if (!policy.dns.empty()) {
        out["dns"] = policy.dns;
    }
    return out;
}

Result<std::optional<EgressPolicy>> read_egress_policy(nlohmann::json const& object,
                                                       char const* key, std::string const& field) {
    nlohmann::json const* value = TRY(read_object(object, key, field));
    if (value == nullptr) {
        return std::nullopt;
    }
    std::vector<std::string> rules;
    TRY(read_strings(*value, "allow", field + ".allow", rules));
    EgressPolicy policy;
    for (std::size_t i = 0; i < rules.size(); ++i) {
        policy.allow.push_back(
            TRY_CTX(parse_egress_rule(rules[i]), field + ".allow[" + std::to_string(i) + "]"));
    }
    TRY(read_strings(*value, "dns", field + ".dns", policy.dns));
    TRY_CTX(validate(policy), field);
    return policy;
}

namespace {

// `Counters` is EgressCounters, const or not: one list of the names for writing and reading.
template <typename Counters, typename Visit>
void each_counter(Counters& counters, Visit visit) {
    visit("tcp_allowed", counters.tcp_allowed);
    visit("tcp_denied", counters.tcp_denied);
    visit("udp_allowed", counters.udp_allowed);
    visit("udp_denied", counters.udp_denied);
    visit("dns_allowed", counters.dns_allowed);
    visit("dns_denied", counters.dns_denied);
}

} // namespace

nlohmann::ordered_json egress_counters_to_json(EgressCounters const& counters) {
    nlohmann::ordered_json out = nlohmann::ordered_json::object();
    each_counter(counters, [&](char const* key, std::uint64_t value) { out[key] = value; });
    return out;
}

Result<std::optional<EgressCounters>>
read_egress_counters(nlohmann::json const& object, char const* key, std::string const& field) {
    nlohmann::json const* value = TRY(read_object(object, key, field));
    if (value == nullptr) {
        return std::nullopt;
    }
    EgressCounters counters;
    Result<void> result;
    each_counter(counters, [&](char const* name, std::uint64_t& out) {
        if (result) {
            result = read_unsigned(*value, name, field + "." + name, out);
        }
    });
    TRY(result);
    return counters;
}

} // namespace microvm::contract
