#include "runner/net/egress_network.hpp"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <thread>
#include <tuple>

#include "contract/network.hpp"
#include "runner/logging.hpp"
#include "runner/net/dns_upstream.hpp"
#include "runner/net/egress_decider.hpp"
#include "runner/net/guest_frames.hpp"
#include "runner/net/slirp_stack.hpp"

namespace microvm::runner::net {

namespace {

// Socket buffers on both ends of the pair: room for bursts of full-size frames.
constexpr int socket_buffer_bytes = 4 << 20;
// Frames for the guest waiting for room in the socket (beyond them a frame is dropped, as a
// NIC drops; TCP resends).
constexpr std::size_t max_queued_to_guest = 1024;
// Frames read from the guest per recvmmsg(), up to this many rounds per wake-up before slirp's
// sockets get their turn, and the largest frame taken: a guest NIC at the default MTU sends at
// most 1514 bytes, slirp's MTU is 1500, and a larger frame is dropped (it arrives truncated).
constexpr unsigned frames_per_batch = 32;
constexpr int batches_per_round = 4;
constexpr std::size_t max_guest_frame = 16 * 1024;
constexpr auto counter_interval = std::chrono::seconds(1);
// A published UDP port's peer may be answered this long after it last sent.
constexpr auto published_reply_window = std::chrono::seconds(120);
constexpr std::size_t max_published_peers = 1024;
constexpr auto host_addresses_refresh = std::chrono::seconds(2);

// The host's own addresses, which no rule opens by accident and no answer opens at all.
Result<std::vector<IpAddress>> host_addresses() {
    std::vector<IpAddress> found;
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) {
        return fail_errno("list the host's addresses");
    }
    for (ifaddrs const* entry = list; entry != nullptr; entry = entry->ifa_next) {
        if (entry->ifa_addr == nullptr) {
            continue;
        }
        IpAddress address;
        if (entry->ifa_addr->sa_family == AF_INET) {
            auto const* in = reinterpret_cast<sockaddr_in const*>(entry->ifa_addr);
            std::memcpy(address.bytes.data(), &in->sin_addr, 4);
        } else if (entry->ifa_addr->sa_family == AF_INET6) {
            auto const* in6 = reinterpret_cast<sockaddr_in6 const*>(entry->ifa_addr);
            address.v6 = true;
            std::memcpy(address.bytes.data(), &in6->sin6_addr, 16);
        } else {
            continue;
        }
        found.push_back(address);
    }
    ::freeifaddrs(list);
    return found;
}

char const* protocol_name(Protocol protocol) {
    return protocol == Protocol::udp ? "udp" : "tcp";
}

// Refusal lines for runner.log, at most max_logged_refusals per window; the rest are counted
// and the count is logged when the next window opens.
class RefusalLog {
public:
    void line(std::string const& text, Clock::time_point now) {
        if (now - m_window_start >= refusal_log_window) {
            if (m_suppressed > 0) {
                notice("egress: " + std::to_string(m_suppressed) +
                       " more refusals in the last window were not logged");
            }
            m_window_start = now;
            m_logged = 0;
            m_suppressed = 0;
        }
        if (m_logged < max_logged_refusals) {
            ++m_logged;
            notice(text);
        } else {
            ++m_suppressed;
        }
    }

private:
    Clock::time_point m_window_start{};
    int m_logged = 0;
    std::uint64_t m_suppressed = 0;
};

// The peers of published UDP ports. slirp delivers a datagram from a client of a UDP forward as
// coming from the client (a loopback client as the gateway, 10.0.2.2), and the guest answers
// there: that answer is not the guest's egress, but only from the published port, only to the
// address and port that wrote to it, and only for a while.
class PublishedUdpPeers {
public:
    explicit PublishedUdpPeers(std::vector<contract::RunnerPortForward> const& forwards) {
        for (auto const& forward : forwards) {
            if (forward.protocol == Protocol::udp) {
                m_guest_ports.push_back(forward.guest);
            }
        }
    }

    bool any() const { return !m_guest_ports.empty(); }

    // A frame slirp sends to the guest.
    void saw_inbound(std::span<std::uint8_t const> frame, IpAddress const& resolver,
                     Clock::time_point now) {
        if (m_guest_ports.empty()) {
            return;
        }
        GuestFrame const read = classify_guest_frame(frame, resolver);
        Flow const& flow = read.flow;
        if (read.kind != GuestFrame::Kind::new_flow || flow.protocol != Protocol::udp ||
            std::find(m_guest_ports.begin(), m_guest_ports.end(), flow.destination_port) ==
                m_guest_ports.end()) {
            return;
        }
        if (m_peers.size() >= max_published_peers) {
            std::erase_if(m_peers, [&](auto const& peer) { return peer.second <= now; });
        }
        if (m_peers.size() < max_published_peers) {
            m_peers[{flow.destination_port, flow.source, flow.source_port}] =
                now + published_reply_window;
        }
    }

    // A datagram the guest sends: an answer to a published port's peer?
    bool is_answer(Flow const& flow, Clock::time_point now) const {
        if (flow.protocol != Protocol::udp) {
            return false;
        }
        auto const found =
            m_peers.find({flow.source_port, flow.destination, flow.destination_port});
        return found != m_peers.end() && found->second > now;
    }

private:
    std::vector<std::uint16_t> m_guest_ports;
    // (guest port, peer's address, peer's port) -> until when.
    std::map<std::tuple<std::uint16_t, IpAddress, std::uint16_t>, Clock::time_point> m_peers;
};

struct PendingLookup {
    DnsQuery query;
    std::vector<std::uint8_t> frame;
    std::uint16_t upstream_id = 0;
};

} // namespace

struct EgressNetwork::State {
    base::Fd runner_end;
    base::Fd vm_end;
    base::Fd wake;
    EgressDecider decider;
    std::optional<DnsUpstream> upstream;
    std::unique_ptr<SlirpStack> slirp;
    std::function<void(EgressCounters const&)> on_counters;
    IpAddress resolver;

    EgressCounters counters;
    EgressCounters reported;
    Clock::time_point last_report{};
    RefusalLog refusals;
    std::deque<std::vector<std::uint8_t>> to_guest;
    // read_guest_frames()' buffers, allocated once.
    std::vector<std::uint8_t> receive_storage =
        std::vector<std::uint8_t>(frames_per_batch * max_guest_frame);
    std::map<std::uint64_t, PendingLookup> lookups;
    std::uint64_t next_ticket = 1;
    std::thread thread;

    PublishedUdpPeers published;

    Clock::time_point host_addresses_read{};

    State(EgressPolicy policy, std::vector<IpAddress> host,
          std::vector<contract::RunnerPortForward> const& forwards)
        : decider(std::move(policy), std::move(host)), published(forwards) {}

    // The host's addresses change (DHCP, VPNs, container networks): read them again before a
    // decision when the last read is older than host_addresses_refresh.
    void refresh_host_addresses(Clock::time_point now) {
        if (now - host_addresses_read < host_addresses_refresh) {
            return;
        }
        host_addresses_read = now;
        if (auto addresses = host_addresses()) {
            decider.set_host_addresses(std::move(*addresses));
        } else {
            // Keep the last list: it is what the VM started with, never less.
            spdlog::warn("egress: {}", addresses.error().text());
        }
    }

    // From slirp.
    void from_network(std::span<std::uint8_t const> frame) {
        published.saw_inbound(frame, resolver, Clock::now());
        send_to_guest(frame);
    }

    // Queued, and sent in batches by flush_to_guest() at the end of each round of the loop.
    void send_to_guest(std::span<std::uint8_t const> frame) {
        if (!frame.empty() && to_guest.size() < max_queued_to_guest) {
            to_guest.emplace_back(frame.begin(), frame.end());
        }
    }

    void flush_to_guest() {
        std::array<iovec, frames_per_batch> slots{};
        std::array<mmsghdr, frames_per_batch> messages{};
        while (!to_guest.empty()) {
            unsigned const count =
                static_cast<unsigned>(std::min<std::size_t>(to_guest.size(), frames_per_batch));
            for (unsigned i = 0; i < count; ++i) {
                slots[i] = {to_guest[i].data(), to_guest[i].size()};
                messages[i] = {};
                messages[i].msg_hdr.msg_iov = &slots[i];
                messages[i].msg_hdr.msg_iovlen = 1;
            }
            int const sent = ::sendmmsg(runner_end.get(), messages.data(), count, MSG_DONTWAIT);
            if (sent < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    return; // POLLOUT says when there is room again
                }
                // qemu is gone or the socket failed: what is queued cannot be delivered.
                to_guest.clear();
                return;
            }
            to_guest.erase(to_guest.begin(), to_guest.begin() + sent);
        }
    }

    void on_guest_frame(std::span<std::uint8_t const> frame, Clock::time_point now) {
        GuestFrame const classified = classify_guest_frame(frame, resolver);
        switch (classified.kind) {
        case GuestFrame::Kind::pass:
            slirp->input(frame);
            return;
        case GuestFrame::Kind::drop:
            return;
        case GuestFrame::Kind::dns_query:
            on_dns_query(frame, classified.payload, now);
            return;
        case GuestFrame::Kind::refuse:
            ++counters.tcp_denied;
            refusals.line("egress: denied tcp " + classified.flow.destination.to_string() + ":" +
                              std::to_string(classified.flow.destination_port) +
                              ": microvm's resolver answers over UDP only",
                          now);
            send_to_guest(refusal_for(frame));
            return;
        case GuestFrame::Kind::new_flow:
            on_new_flow(frame, classified.flow, now);
            return;
        }
    }

    void on_new_flow(std::span<std::uint8_t const> frame, Flow const& flow, Clock::time_point now) {
        bool const udp = flow.protocol == Protocol::udp;
        if (published.is_answer(flow, now)) {
            slirp->input(frame);
            return;
        }
        refresh_host_addresses(now);
        if (decider.allows({flow.destination, flow.destination_port, flow.protocol}, now)) {
            ++(udp ? counters.udp_allowed : counters.tcp_allowed);
            slirp->input(frame);
            return;
        }
        ++(udp ? counters.udp_denied : counters.tcp_denied);
        refusals.line(std::string("egress: denied ") + protocol_name(flow.protocol) + " " +
                          flow.destination.to_string() + ":" +
                          std::to_string(flow.destination_port) + ": no rule allows it",
                      now);
        send_to_guest(refusal_for(frame));
    }

    void on_dns_query(std::span<std::uint8_t const> frame, std::span<std::uint8_t const> payload,
                      Clock::time_point now) {
        GuestDnsMessage message = read_guest_dns(payload);
        if (!message.query) {
            ++counters.dns_denied;
            refusals.line("egress: dns: refused a message to the resolver: " + message.problem,
                          now);
            if (!message.reply.empty()) {
                send_to_guest(udp_reply_to(frame, message.reply));
            }
            return;
        }
        DnsQuery& query = *message.query;
        if (!decider.name_allowed(query.name)) {
            ++counters.dns_denied;
            refusals.line("egress: dns: refused \"" + query.name + "\" (" + query.type_name +
                              "): no rule names it",
                          now);
            send_to_guest(udp_reply_to(frame, dns_error_reply(query, LDNS_RCODE_NXDOMAIN)));
            return;
        }
        DnsPacket upstream_query = upstream_query_for(query);
        std::uint64_t const ticket = next_ticket++;
        std::uint16_t const id = upstream_query ? ldns_pkt_id(upstream_query.get()) : 0;
        if (!upstream || !upstream_query || !upstream->submit(ticket, std::move(upstream_query))) {
            ++counters.dns_denied;
            refusals.line("egress: dns: \"" + query.name + "\": " +
                              (upstream_query ? "too many lookups at once"
                                              : "cannot build the upstream query"),
                          now);
            send_to_guest(udp_reply_to(frame, dns_error_reply(query, LDNS_RCODE_SERVFAIL)));
            return;
        }
        lookups.emplace(ticket, PendingLookup{.query = std::move(query),
                                              .frame = {frame.begin(), frame.end()},
                                              .upstream_id = id});
    }

    void on_lookups_finished(Clock::time_point now) {
        for (Lookup& lookup : upstream->take_finished()) {
            auto node = lookups.extract(lookup.ticket);
            if (node.empty()) {
                continue;
            }
            PendingLookup& pending = node.mapped();
            std::string const& name = pending.query.name;
            auto relayed = lookup.answer
                               ? relay_answer(pending.query, *lookup.answer, pending.upstream_id)
                               : Result<RelayedAnswer>(fail(lookup.error));
            if (!relayed) {
                ++counters.dns_denied;
                notice("egress: dns: \"" + name +
                       "\": the upstream resolver failed: " + relayed.error().text());
                send_to_guest(udp_reply_to(pending.frame,
                                           dns_error_reply(pending.query, LDNS_RCODE_SERVFAIL)));
                continue;
            }
            ++counters.dns_allowed;
            refresh_host_addresses(now);
            for (auto const& answered : relayed->addresses) {
                if (auto refusal = decider.learn(name, answered.address, answered.ttl, now)) {
                    refusals.line("egress: dns: \"" + name + "\" answered " +
                                      answered.address.to_string() +
                                      ", which a name may not "
                                      "open (" +
                                      *refusal + ")",
                                  now);
                }
            }
            send_to_guest(udp_reply_to(pending.frame,
                                       relayed->reply.empty()
                                           ? dns_error_reply(pending.query, LDNS_RCODE_SERVFAIL)
                                           : relayed->reply));
        }
    }

    void report_counters(Clock::time_point now, bool final = false) {
        if (counters == reported || (!final && now - last_report < counter_interval)) {
            return;
        }
        reported = counters;
        last_report = now;
        if (on_counters) {
            on_counters(counters);
        }
    }

    void run() {
        loop();
        // What the last second counted, before the runner writes its final report.
        report_counters(Clock::now(), /*final=*/true);
    }

    // Reads what the guest sent, a batch per system call.
    void read_guest_frames(Clock::time_point now) {
        static_assert(max_guest_frame <= max_frame_size);
        std::vector<std::uint8_t>& storage = receive_storage;
        std::array<iovec, frames_per_batch> slots{};
        std::array<mmsghdr, frames_per_batch> messages{};
        for (int round = 0; round < batches_per_round; ++round) {
            for (unsigned i = 0; i < frames_per_batch; ++i) {
                slots[i] = {storage.data() + i * max_guest_frame, max_guest_frame};
                messages[i] = {};
                messages[i].msg_hdr.msg_iov = &slots[i];
                messages[i].msg_hdr.msg_iovlen = 1;
            }
            int const received = ::recvmmsg(runner_end.get(), messages.data(), frames_per_batch,
                                            MSG_DONTWAIT, nullptr);
            if (received <= 0) {
                return;
            }
            for (int i = 0; i < received; ++i) {
                if ((messages[i].msg_hdr.msg_flags & MSG_TRUNC) == 0) {
                    on_guest_frame({storage.data() + i * max_guest_frame, messages[i].msg_len},
                                   now);
                }
            }
            if (static_cast<unsigned>(received) < frames_per_batch) {
                return;
            }
        }
    }

    void loop() {
        std::vector<pollfd> fds;
        while (true) {
            fds.clear();
            fds.push_back({wake.get(), POLLIN, 0});
            fds.push_back({runner_end.get(),
                           static_cast<short>(POLLIN | (to_guest.empty() ? 0 : POLLOUT)), 0});
            fds.push_back({upstream ? upstream->ready_fd() : -1, POLLIN, 0});
            int timeout = counters == reported ? -1 : 1000;
            std::size_t const first_slirp = fds.size();
            slirp->fill(fds, timeout);
            int const ready = ::poll(fds.data(), fds.size(), timeout);
            if (ready < 0 && errno != EINTR) {
                spdlog::error("egress: poll failed ({}); the VM's network stops",
                              std::strerror(errno));
                return;
            }
            if (ready > 0 && (fds[0].revents & POLLIN) != 0) {
                return;
            }
            auto const now = Clock::now();
            if (ready > 0 && (fds[1].revents & POLLOUT) != 0) {
                flush_to_guest();
            }
            if (ready > 0 && (fds[1].revents & (POLLHUP | POLLERR)) != 0 &&
                (fds[1].revents & POLLIN) == 0) {
                // qemu is gone: nothing more to carry.
                return;
            }
            if (ready > 0 && (fds[1].revents & POLLIN) != 0) {
                read_guest_frames(now);
            }
            if (ready > 0 && (fds[2].revents & POLLIN) != 0) {
                on_lookups_finished(now);
            }
            slirp->dispatch(fds, first_slirp, ready < 0);
            flush_to_guest();
            report_counters(now);
        }
    }
};

EgressNetwork::EgressNetwork() = default;
EgressNetwork::EgressNetwork(EgressNetwork&&) noexcept = default;

EgressNetwork::~EgressNetwork() {
    if (m_state && m_state->thread.joinable()) {
        std::uint64_t const one = 1;
        (void)!::write(m_state->wake.get(), &one, sizeof one);
        m_state->thread.join();
    }
}

base::Fd& EgressNetwork::vm_end() {
    return m_state->vm_end;
}

Result<EgressNetwork> EgressNetwork::start(EgressNetworkSetup setup) {
    auto state = std::make_unique<State>(setup.policy, TRY_CTX(host_addresses(), "egress policy"),
                                         setup.forwards);
    state->host_addresses_read = Clock::now();
    state->resolver = TRY(parse_ip_address(contract::user_network.dns));
    state->on_counters = std::move(setup.on_counters);
    int pair[2] = {-1, -1};
    if (::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, pair) != 0) {
        return fail_errno("socketpair for the VM's network");
    }
    state->runner_end = base::Fd(pair[0]);
    state->vm_end = base::Fd(pair[1]);
    for (int fd : pair) {
        int const size = socket_buffer_bytes;
        // Best effort: the default buffers work, only with more drops under bursts.
        (void)::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
        (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    }
    state->wake = base::Fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!state->wake) {
        return fail_errno("eventfd");
    }
    // Without a name rule every query is refused here: no upstream is asked, none is needed.
    bool const names = std::any_of(
        setup.policy.allow.begin(), setup.policy.allow.end(),
        [](EgressRule const& rule) { return rule.target != EgressRule::Target::prefix; });
    if (names) {
        state->upstream.emplace(
            TRY_CTX(DnsUpstream::start(setup.policy.dns), "egress policy's resolver"));
    }
    State* raw = state.get();
    // slirp's own switch is the second layer for 10.0.2.2; published UDP ports need it for their
    // answers, which the filter lets through to their peers alone.
    bool const host_loopback = state->decider.opens_gateway() || state->published.any();
    state->slirp = TRY_CTX(SlirpStack::create({.host_loopback = host_loopback,
                                               .forwards = setup.forwards,
                                               .to_guest =
                                                   [raw](std::span<std::uint8_t const> frame) {
                                                       raw->from_network(frame);
                                                   }}),
                           "the VM's network");
    state->thread = std::thread([raw] { raw->run(); });
    EgressNetwork network;
    network.m_state = std::move(state);
    return network;
}

} // namespace microvm::runner::net
