// The upstream side of microvm's resolver: lookups for names the policy allows, sent to the
// resolvers the policy names (or the host's, from /etc/resolv.conf) by ldns' resolver, which
// retries, falls back to TCP for truncated answers and checks the answer's ID. ldns resolves
// synchronously, so a few worker threads do it, each with a resolver of its own, and hand the
// answers back through a queue that an eventfd announces.
//
// The guest decides how many lookups there are, so they are bounded: at most max_pending wait
// or run at once, and a lookup beyond that is refused (the guest's resolver retries).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "runner/net/dns_messages.hpp"

namespace microvm::runner::net {

inline constexpr std::size_t dns_workers = 4;
inline constexpr std::size_t max_pending_lookups = 64;

struct Lookup {
    std::uint64_t ticket = 0;
    DnsPacket query;
    // Set when the upstream answered.
    DnsPacket answer;
    // Else why not.
    std::string error;
};

class DnsUpstream {
public:
    // `servers`: IP addresses; empty means /etc/resolv.conf's. Fails when no resolver can be
    // made from them (so that a policy whose names cannot be resolved stops the VM at start).
    static Result<DnsUpstream> start(std::vector<std::string> const& servers);

    DnsUpstream(DnsUpstream&&) noexcept;
    // Not assignable: the one that is assigned to would have to stop its workers first.
    DnsUpstream& operator=(DnsUpstream&&) = delete;
    // Workers still waiting for an upstream finish on their own; their answers are dropped.
    ~DnsUpstream();

    // Queues a lookup of `query`. False when max_pending_lookups are already queued or running.
    bool submit(std::uint64_t ticket, DnsPacket query);

    // Readable while finished lookups wait to be taken.
    int ready_fd() const;
    std::vector<Lookup> take_finished();

    struct Shared;

private:
    explicit DnsUpstream(std::shared_ptr<Shared> shared);
    std::shared_ptr<Shared> m_shared;
};

} // namespace microvm::runner::net
