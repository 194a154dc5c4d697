#include "runner/net/dns_upstream.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "base/fd.hpp"

namespace microvm::runner::net {

namespace {

struct ResolverFree {
    void operator()(ldns_resolver* resolver) const { ldns_resolver_deep_free(resolver); }
};
using Resolver = std::unique_ptr<ldns_resolver, ResolverFree>;

// Per try; a dead upstream costs the guest's lookup about timeout × (retry + 1).
constexpr timeval upstream_timeout{.tv_sec = 2, .tv_usec = 0};
constexpr std::uint8_t upstream_retries = 1;

Result<Resolver> make_resolver(std::vector<std::string> const& servers) {
    ldns_resolver* raw = nullptr;
    if (servers.empty()) {
        if (ldns_status const status = ldns_resolver_new_frm_file(&raw, nullptr);
            status != LDNS_STATUS_OK) {
            return fail(std::string("no upstream resolver in /etc/resolv.conf (") +
                        ldns_get_errorstr_by_id(status) + "); name one with --dns");
        }
    } else {
        raw = ldns_resolver_new();
        if (raw == nullptr) {
            return fail("out of memory making a resolver");
        }
    }
    Resolver resolver(raw);
    for (auto const& server : servers) {
        bool const v6 = server.find(':') != std::string::npos;
        ldns_rdf* address =
            ldns_rdf_new_frm_str(v6 ? LDNS_RDF_TYPE_AAAA : LDNS_RDF_TYPE_A, server.c_str());
        if (address == nullptr) {
            return fail("upstream resolver \"" + server + "\" is not an IP address");
        }
        ldns_status const status = ldns_resolver_push_nameserver(resolver.get(), address);
        ldns_rdf_deep_free(address);
        if (status != LDNS_STATUS_OK) {
            return fail("upstream resolver \"" + server + "\": " + ldns_get_errorstr_by_id(status));
        }
    }
    if (ldns_resolver_nameserver_count(resolver.get()) == 0) {
        return fail("no upstream resolver: /etc/resolv.conf names none; name one with --dns");
    }
    ldns_resolver_set_timeout(resolver.get(), upstream_timeout);
    ldns_resolver_set_retry(resolver.get(), upstream_retries);
    ldns_resolver_set_retrans(resolver.get(), 1);
    // TCP when a UDP answer comes back truncated.
    ldns_resolver_set_fallback(resolver.get(), true);
    // The guest's names are asked as they are: no search list, no default domain.
    ldns_resolver_set_dnsrch(resolver.get(), false);
    ldns_resolver_set_defnames(resolver.get(), false);
    ldns_resolver_set_random(resolver.get(), true);
    return resolver;
}

} // namespace

struct DnsUpstream::Shared {
    std::vector<std::string> servers;
    base::Fd ready;
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<Lookup> queued;
    std::vector<Lookup> finished;
    // Queued or running; finished lookups no longer count.
    std::size_t pending = 0;
    bool stopping = false;
};

namespace {

void work(std::shared_ptr<DnsUpstream::Shared> shared) {
    auto resolver = make_resolver(shared->servers);
    std::unique_lock lock(shared->mutex);
    while (true) {
        shared->wake.wait(lock, [&] { return shared->stopping || !shared->queued.empty(); });
        if (shared->stopping) {
            return;
        }
        Lookup lookup = std::move(shared->queued.front());
        shared->queued.pop_front();
        lock.unlock();
        if (!resolver) {
            lookup.error = resolver.error().text();
        } else {
            ldns_pkt* answer = nullptr;
            ldns_status const status =
                ldns_resolver_send_pkt(&answer, resolver->get(), lookup.query.get());
            lookup.answer.reset(answer);
            if (status != LDNS_STATUS_OK || !lookup.answer) {
                lookup.error = ldns_get_errorstr_by_id(status);
                lookup.answer.reset();
            }
        }
        lock.lock();
        --shared->pending;
        if (shared->stopping) {
            return;
        }
        shared->finished.push_back(std::move(lookup));
        std::uint64_t const one = 1;
        (void)!::write(shared->ready.get(), &one, sizeof one);
    }
}

} // namespace

Result<DnsUpstream> DnsUpstream::start(std::vector<std::string> const& servers) {
    TRY(make_resolver(servers));
    auto shared = std::make_shared<Shared>();
    shared->servers = servers;
    shared->ready = base::Fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!shared->ready) {
        return fail_errno("eventfd");
    }
    for (std::size_t i = 0; i < dns_workers; ++i) {
        // Detached: a worker may be waiting out an upstream's timeout when the VM ends, and
        // nothing it still holds is the runner's but the shared state it keeps alive.
        std::thread(work, shared).detach();
    }
    return DnsUpstream(std::move(shared));
}

DnsUpstream::DnsUpstream(std::shared_ptr<Shared> shared) : m_shared(std::move(shared)) {}
DnsUpstream::DnsUpstream(DnsUpstream&&) noexcept = default;

DnsUpstream::~DnsUpstream() {
    if (m_shared) {
        std::lock_guard const lock(m_shared->mutex);
        m_shared->stopping = true;
        m_shared->wake.notify_all();
    }
}

bool DnsUpstream::submit(std::uint64_t ticket, DnsPacket query) {
    std::lock_guard const lock(m_shared->mutex);
    if (m_shared->pending >= max_pending_lookups) {
        return false;
    }
    ++m_shared->pending;
    m_shared->queued.push_back(
        {.ticket = ticket, .query = std::move(query), .answer = {}, .error = {}});
    m_shared->wake.notify_one();
    return true;
}

int DnsUpstream::ready_fd() const {
    return m_shared->ready.get();
}

std::vector<Lookup> DnsUpstream::take_finished() {
    std::uint64_t count = 0;
    (void)!::read(m_shared->ready.get(), &count, sizeof count);
    std::lock_guard const lock(m_shared->mutex);
    return std::exchange(m_shared->finished, {});
}

} // namespace microvm::runner::net
