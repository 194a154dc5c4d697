// An egress policy in JSON, as runner.json and a VM's persisted state carry it:
//   {"allow": ["example.com:443/tcp", "10.1.0.0/16/udp"], "dns": ["192.0.2.53"]}
// Each rule travels as its canonical text and is read back with parse_egress_rule(), so the
// runner enforces exactly the rules the host validated.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include <microvm/egress.hpp>

#include "base/error.hpp"

namespace microvm::contract {

nlohmann::ordered_json egress_to_json(EgressPolicy const& policy);

// Reads the policy under `key`, if any: std::nullopt when the key is absent (no policy), a
// policy (possibly empty: deny all) when present. Messages name "<field>.allow[i]".
Result<std::optional<EgressPolicy>> read_egress_policy(nlohmann::json const& object,
                                                       char const* key, std::string const& field);

// {"tcp_allowed": N, "tcp_denied": N, "udp_allowed": ..., "dns_denied": N}
nlohmann::ordered_json egress_counters_to_json(EgressCounters const& counters);
Result<std::optional<EgressCounters>>
read_egress_counters(nlohmann::json const& object, char const* key, std::string const& field);

} // namespace microvm::contract
