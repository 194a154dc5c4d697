// The VM's network under an egress policy, owned by the runner: qemu's NIC sends its frames
// over a datagram socket pair (`-netdev dgram` on an inherited descriptor) to a thread of the
// runner, which filters each frame that starts a flow against the policy, answers DNS to
// 10.0.2.3 itself (microvm's resolver), and hands what it allows to its own libslirp.
//
// The guest owns its end: a frame costs one bounded read, the learned-address table and the
// pending lookups are bounded, refusals are logged at a bounded rate, and nothing the guest
// sends reaches the host but through slirp's sockets to destinations the policy allows.
//
// Fail closed: everything that can fail at start (libslirp, a published port's listener, the
// upstream resolver's configuration) fails start(), before qemu exists. Should the thread fail
// later, it stops carrying frames: the guest keeps running without a network.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include <microvm/egress.hpp>

#include "base/error.hpp"
#include "base/fd.hpp"
#include "contract/runner_config.hpp"

namespace microvm::runner::net {

// At most this many refusal lines per window in runner.log; the rest are counted.
inline constexpr int max_logged_refusals = 20;
inline constexpr std::chrono::seconds refusal_log_window{10};

struct EgressNetworkSetup {
    EgressPolicy policy;
    std::vector<contract::RunnerPortForward> forwards;
    // From the network's thread, at most once a second while they change.
    std::function<void(EgressCounters const&)> on_counters;
};

class EgressNetwork {
public:
    static Result<EgressNetwork> start(EgressNetworkSetup setup);

    EgressNetwork();
    EgressNetwork(EgressNetwork&&) noexcept;
    // Not assignable: the one that is assigned to would have to stop its thread first.
    EgressNetwork& operator=(EgressNetwork&&) = delete;
    // Stops the thread; the VM's end of the socket pair sees no more frames.
    ~EgressNetwork();

    // The descriptor qemu's `-netdev dgram` inherits (the runner's copy; close it once qemu
    // has it).
    base::Fd& vm_end();

    struct State;

private:
    std::unique_ptr<State> m_state;
};

} // namespace microvm::runner::net
