// The command line's network options: `-p/--publish [IP:]HOST:GUEST[/tcp|/udp]` (repeatable),
// `--network user|none`, and the egress policy: `--egress-allow RULE` (repeatable),
// `--egress-policy FILE`, `--dns IP` (repeatable) and `--no-outbound` (the empty allow-list).
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <string_view>
#include <vector>

#include <microvm/options.hpp>

#include "base/error.hpp"

namespace microvm::cli {

// What the user typed, before it is checked.
struct NetworkArgs {
    std::vector<std::string> publish;
    std::string network = "user";
    bool no_outbound = false;
    std::vector<std::string> egress_allow;
    std::string egress_policy_file;
    std::vector<std::string> dns;
};

// Parses one -p value, as docker does but one port at a time: "8080:80", "8080:80/udp",
// "0.0.0.0:8080:80", "[::1]:8080:80". The host side binds 127.0.0.1 unless an address is
// given (docker binds every address; a VM's ports are private unless asked otherwise).
// Errors quote the value and say what was wrong.
Result<PortForward> parse_publish(std::string_view spec);

// Registers the options on `run`, storing into `args` (which must outlive the parse).
void add_network_options(CLI::App& run, NetworkArgs& args);

// Sets options.ports, options.network and options.egress from `args`. Errors name the flag and
// the rule. Any of --egress-allow, --egress-policy or --no-outbound makes a policy; --dns
// without one is an error (there is no resolver of microvm's to point upstream).
Result<void> apply_network_options(NetworkArgs const& args, RunOptions& options);

} // namespace microvm::cli
