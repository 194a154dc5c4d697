#include "runner/net/slirp_stack.hpp"

#include <arpa/inet.h>
#include <slirp/libslirp.h>
#include <spdlog/spdlog.h>
#include <time.h>

#include <algorithm>
#include <climits>

#include "contract/network.hpp"

namespace microvm::runner::net {

struct SlirpStack::Timer {
    SlirpTimerCb callback = nullptr;
    void* callback_opaque = nullptr;
    // In now_ms() time; -1 while not armed.
    std::int64_t expires = -1;
};

struct SlirpCallbacks {
    static SlirpStack& self(void* opaque) { return *static_cast<SlirpStack*>(opaque); }

    static ssize_t send_packet(void const* buffer, std::size_t size, void* opaque) {
        self(opaque).m_setup.to_guest({static_cast<std::uint8_t const*>(buffer), size});
        return static_cast<ssize_t>(size);
    }
    static void guest_error(char const* message, void*) {
        spdlog::debug("egress: slirp: the guest sent something malformed: {}", message);
    }
    static std::int64_t clock_get_ns(void*) {
        timespec now{};
        ::clock_gettime(CLOCK_MONOTONIC, &now);
        return std::int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
    }
    static void* timer_new(SlirpTimerCb callback, void* callback_opaque, void* opaque) {
        auto& timers = self(opaque).m_timers;
        timers.push_back(std::make_unique<SlirpStack::Timer>(
            SlirpStack::Timer{.callback = callback, .callback_opaque = callback_opaque}));
        return timers.back().get();
    }
    static void timer_free(void* timer, void* opaque) {
        std::erase_if(self(opaque).m_timers,
                      [&](auto const& owned) { return owned.get() == timer; });
    }
    static void timer_mod(void* timer, std::int64_t expire_ms, void*) {
        static_cast<SlirpStack::Timer*>(timer)->expires = expire_ms;
    }
    static void register_poll_fd(int, void*) {}
    static void unregister_poll_fd(int, void*) {}
    static void notify(void*) {}

    static int add_poll(int fd, int events, void* opaque) {
        short wanted = 0;
        wanted |= (events & SLIRP_POLL_IN) != 0 ? POLLIN : 0;
        wanted |= (events & SLIRP_POLL_OUT) != 0 ? POLLOUT : 0;
        wanted |= (events & SLIRP_POLL_PRI) != 0 ? POLLPRI : 0;
        auto& fds = *self(opaque).m_fds;
        fds.push_back({fd, wanted, 0});
        return static_cast<int>(fds.size() - 1 - self(opaque).m_first);
    }
    static int get_revents(int index, void* opaque) {
        auto const& stack = self(opaque);
        std::size_t const at = stack.m_first + static_cast<std::size_t>(index);
        if (index < 0 || at >= stack.m_fds->size()) {
            return 0;
        }
        short const revents = (*stack.m_fds)[at].revents;
        int events = 0;
        events |= (revents & POLLIN) != 0 ? SLIRP_POLL_IN : 0;
        events |= (revents & POLLOUT) != 0 ? SLIRP_POLL_OUT : 0;
        events |= (revents & POLLPRI) != 0 ? SLIRP_POLL_PRI : 0;
        events |= (revents & POLLERR) != 0 ? SLIRP_POLL_ERR : 0;
        events |= (revents & POLLHUP) != 0 ? SLIRP_POLL_HUP : 0;
        return events;
    }
};

namespace {

SlirpCb const callbacks = {
    .send_packet = &SlirpCallbacks::send_packet,
    .guest_error = &SlirpCallbacks::guest_error,
    .clock_get_ns = &SlirpCallbacks::clock_get_ns,
    .timer_new = &SlirpCallbacks::timer_new,
    .timer_free = &SlirpCallbacks::timer_free,
    .timer_mod = &SlirpCallbacks::timer_mod,
    .register_poll_fd = &SlirpCallbacks::register_poll_fd,
    .unregister_poll_fd = &SlirpCallbacks::unregister_poll_fd,
    .notify = &SlirpCallbacks::notify,
    .init_completed = nullptr,
    .timer_new_opaque = nullptr,
};

} // namespace

SlirpStack::SlirpStack(SlirpSetup setup) : m_setup(std::move(setup)) {}

Result<std::unique_ptr<SlirpStack>> SlirpStack::create(SlirpSetup setup) {
    auto const& topology = contract::user_network;
    auto const network = TRY(contract::parse_ipv4_cidr(topology.network_cidr));
    auto const guest = TRY(contract::parse_ipv4_cidr(topology.guest_cidr));
    std::unique_ptr<SlirpStack> stack(new SlirpStack(std::move(setup)));

    SlirpConfig config{};
    config.version = 4;
    config.restricted = 0;
    config.in_enabled = true;
    config.vnetwork = network.address;
    config.vnetmask = network.netmask();
    config.vhost = TRY(contract::parse_ipv4(topology.gateway));
    config.in6_enabled = false;
    config.vdhcp_start = guest.address;
    config.vnameserver = TRY(contract::parse_ipv4(topology.dns));
    config.disable_host_loopback = !stack->m_setup.host_loopback;
    config.enable_emu = false;
    config.disable_dns = true;
    config.disable_dhcp = true;
    stack->m_slirp = ::slirp_new(&config, &callbacks, stack.get());
    if (stack->m_slirp == nullptr) {
        return fail("libslirp could not set up the VM's network");
    }
    for (auto const& forward : stack->m_setup.forwards) {
        in_addr host{};
        std::string const where = forward.host_address + ":" + std::to_string(forward.host);
        if (::inet_pton(AF_INET, forward.host_address.c_str(), &host) != 1) {
            return fail("publish " + where + ": not an IPv4 address");
        }
        if (::slirp_add_hostfwd(stack->m_slirp, forward.protocol == Protocol::udp, host,
                                forward.host, guest.address, forward.guest) != 0) {
            return fail_errno("publish " + where + "/" + to_string(forward.protocol) +
                              ": cannot listen on the host side");
        }
    }
    return stack;
}

SlirpStack::~SlirpStack() {
    if (m_slirp != nullptr) {
        ::slirp_cleanup(m_slirp);
    }
}

std::int64_t SlirpStack::now_ms() {
    return SlirpCallbacks::clock_get_ns(nullptr) / 1'000'000;
}

void SlirpStack::input(std::span<std::uint8_t const> frame) {
    ::slirp_input(m_slirp, frame.data(), static_cast<int>(frame.size()));
}

void SlirpStack::fill(std::vector<pollfd>& fds, int& timeout_ms) {
    m_fds = &fds;
    m_first = fds.size();
    std::uint32_t timeout = timeout_ms < 0 ? UINT32_MAX : static_cast<std::uint32_t>(timeout_ms);
    ::slirp_pollfds_fill(m_slirp, &timeout, &SlirpCallbacks::add_poll, this);
    std::int64_t const now = now_ms();
    for (auto const& timer : m_timers) {
        if (timer->expires >= 0) {
            timeout = std::min<std::uint32_t>(
                timeout,
                static_cast<std::uint32_t>(std::max<std::int64_t>(timer->expires - now, 0)));
        }
    }
    timeout_ms =
        timeout == UINT32_MAX ? -1 : static_cast<int>(std::min<std::uint32_t>(timeout, INT_MAX));
    m_fds = nullptr;
}

void SlirpStack::dispatch(std::vector<pollfd> const& fds, std::size_t first, bool poll_failed) {
    m_fds = const_cast<std::vector<pollfd>*>(&fds);
    m_first = first;
    ::slirp_pollfds_poll(m_slirp, poll_failed ? 1 : 0, &SlirpCallbacks::get_revents, this);
    m_fds = nullptr;
    std::int64_t const now = now_ms();
    // A callback may arm or free timers: collect the due ones first.
    std::vector<Timer*> due;
    for (auto const& timer : m_timers) {
        if (timer->expires >= 0 && timer->expires <= now) {
            due.push_back(timer.get());
        }
    }
    for (Timer* timer : due) {
        bool const still_there =
            std::any_of(m_timers.begin(), m_timers.end(),
                        [&](auto const& owned) { return owned.get() == timer; });
        if (still_there) {
            timer->expires = -1;
            timer->callback(timer->callback_opaque);
        }
    }
}

} // namespace microvm::runner::net
