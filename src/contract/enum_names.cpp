// Names of the enums that appear in runner.json, /etc/microvm.json and on the command line.
#include <microvm/options.hpp>

#include "contract/runner_config.hpp"

namespace microvm {

namespace {

template <typename Enum, std::size_t N>
Result<Enum> parse_name(std::string_view text, std::pair<char const*, Enum> const (&names)[N],
                        char const* what) {
    std::string choices;
    for (auto const& [name, value] : names) {
        if (text == name) {
            return value;
        }
        choices += choices.empty() ? "" : ", ";
        choices += name;
    }
    return fail(std::string("unknown ") + what + " \"" + std::string(text) +
                "\" (expected one of " + choices + ")");
}

constexpr std::pair<char const*, Protocol> protocol_names[] = {{"tcp", Protocol::tcp},
                                                               {"udp", Protocol::udp}};
constexpr std::pair<char const*, ReadOnlyPolicy> policy_names[] = {
    {"require-host", ReadOnlyPolicy::require_host},
    {"allow-guest-only", ReadOnlyPolicy::allow_guest_only}};
constexpr std::pair<char const*, BackendKind> backend_names[] = {{"qemu", BackendKind::qemu},
                                                                 {"libkrun", BackendKind::libkrun}};
constexpr std::pair<char const*, PullPolicy> pull_policy_names[] = {
    {"missing", PullPolicy::missing}, {"always", PullPolicy::always}, {"never", PullPolicy::never}};
constexpr std::pair<char const*, NetworkMode> network_mode_names[] = {{"user", NetworkMode::user},
                                                                      {"none", NetworkMode::none}};
constexpr std::pair<char const*, contract::Engine> engine_names[] = {
    {"libkrun", contract::Engine::libkrun}, {"qemu", contract::Engine::qemu}};

template <typename Enum, std::size_t N>
char const* name_of(Enum value, std::pair<char const*, Enum> const (&names)[N]) {
    for (auto const& [name, candidate] : names) {
        if (candidate == value) {
            return name;
        }
    }
    return "?";
}

} // namespace

char const* to_string(Protocol protocol) {
    return name_of(protocol, protocol_names);
}
char const* to_string(ReadOnlyPolicy policy) {
    return name_of(policy, policy_names);
}
char const* to_string(BackendKind backend) {
    return name_of(backend, backend_names);
}
char const* to_string(PullPolicy policy) {
    return name_of(policy, pull_policy_names);
}

Result<Protocol> parse_protocol(std::string_view text) {
    return parse_name(text, protocol_names, "protocol");
}
Result<ReadOnlyPolicy> parse_read_only_policy(std::string_view text) {
    return parse_name(text, policy_names, "read-only policy");
}
Result<BackendKind> parse_backend(std::string_view text) {
    return parse_name(text, backend_names, "backend");
}
Result<PullPolicy> parse_pull_policy(std::string_view text) {
    return parse_name(text, pull_policy_names, "pull policy");
}
char const* to_string(NetworkMode mode) {
    return name_of(mode, network_mode_names);
}
Result<NetworkMode> parse_network_mode(std::string_view text) {
    return parse_name(text, network_mode_names, "network");
}

namespace contract {
char const* to_string(Engine engine) {
    return name_of(engine, engine_names);
}
Result<Engine> parse_engine(std::string_view text) {
    return parse_name(text, engine_names, "engine");
}
} // namespace contract

} // namespace microvm
