// libslirp, the user-mode network inside QEMU's `-netdev user`, run by the runner itself so
// that the egress filter sees every frame before it does. Same topology as the qemu engine's
// own (contract/network.hpp); IPv6, DHCP and slirp's DNS forwarder are off (the guest is
// configured statically and microvm's resolver answers DNS), and so is the host-loopback alias
// 10.0.2.2 unless the policy names it.
//
// Not thread-safe: one thread creates it and drives it (fill(), poll, dispatch()).
#pragma once

#include <poll.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "base/error.hpp"
#include "contract/runner_config.hpp"

struct Slirp;

namespace microvm::runner::net {

struct SlirpSetup {
    // Whether 10.0.2.2 reaches the host's loopback at all.
    bool host_loopback = false;
    // Published ports: slirp listens on the host side and connects to the guest.
    std::vector<contract::RunnerPortForward> forwards;
    // Called with each frame for the guest.
    std::function<void(std::span<std::uint8_t const>)> to_guest;
};

class SlirpStack {
public:
    // Fails when libslirp cannot be set up or a published port cannot be bound (naming it).
    static Result<std::unique_ptr<SlirpStack>> create(SlirpSetup setup);
    ~SlirpStack();
    SlirpStack(SlirpStack const&) = delete;
    SlirpStack& operator=(SlirpStack const&) = delete;

    // A frame from the guest that the filter let through.
    void input(std::span<std::uint8_t const> frame);

    // Appends slirp's descriptors to `fds` and lowers `timeout_ms` to its next timer.
    void fill(std::vector<pollfd>& fds, int& timeout_ms);
    // Lets slirp handle what poll() reported on the descriptors fill() added (from index
    // `first`), then runs its due timers.
    void dispatch(std::vector<pollfd> const& fds, std::size_t first, bool poll_failed);

    struct Timer;

private:
    explicit SlirpStack(SlirpSetup setup);
    static std::int64_t now_ms();

    SlirpSetup m_setup;
    ::Slirp* m_slirp = nullptr;
    std::vector<std::unique_ptr<Timer>> m_timers;
    // During fill() and dispatch(): where slirp's descriptors are.
    std::vector<pollfd>* m_fds = nullptr;
    std::size_t m_first = 0;

    friend struct SlirpCallbacks;
};

} // namespace microvm::runner::net
