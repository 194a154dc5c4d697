// The runner's exec relay: serves the VM's exec socket (one connection per session) and
// carries every session over the one channel to microvm-init's exec agent
// (contract/exec_channel.hpp), in a thread of its own.
//
// The agent's end is hostile. Whatever it sends costs the relay bounded memory: per session at
// most exec_window bytes of output for a client that does not read (the agent may send only
// what the relay granted, and the relay grants only what the client took; consecutive pieces
// join one frame, so tiny frames cost no header each), per channel one frame being decoded,
// and a bounded queue towards the agent (while it is full, clients are not read and credit and
// hangups wait, adding up per session). Frames for sessions the relay does not know are
// dropped; an empty or oversized data frame, data beyond its credit, or a second "started"
// ends that session; a stream that does not decode ends the channel, and the agent may
// connect again. Each such end is one line in runner.log. Nothing the agent
// sends reaches anything but the client of the session it names.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "base/error.hpp"
#include "base/fd.hpp"
#include "runner/reporter.hpp"

namespace microvm::runner {

struct ExecRelaySetup {
    // Listening: exec clients (the VM's exec socket, mode 0600 in a 0700 directory).
    base::Fd clients;
    // Listening: the agent's channel (qemu connects here for the exec port, libkrun for the
    // vsock port). The first connection is the agent's; another one is refused while it is
    // open, and accepted once the relay has dropped it.
    base::Fd agent;
    // Called from the relay's thread whenever the number of connected sessions changes.
    std::function<void(std::size_t)> on_sessions_changed;
};

class ExecRelay {
public:
    static Result<ExecRelay> start(ExecRelaySetup setup);

    ExecRelay();
    ExecRelay(ExecRelay&&) noexcept;
    ExecRelay& operator=(ExecRelay&&) noexcept;
    ExecRelay(ExecRelay const&) = delete;
    ExecRelay& operator=(ExecRelay const&) = delete;
    // Stops the thread and closes every connection: clients see their session end.
    ~ExecRelay();

    // Sessions whose client is connected.
    std::size_t live_sessions() const;

    struct State;

private:
    std::unique_ptr<State> m_state;
};

// The socket in the runtime directory that the agent's side connects to (qemu's exec port
// chardev, libkrun's vsock port).
inline constexpr char exec_agent_socket_name[] = "agent.sock";

// What both engines serve: the VM's exec socket (contract::exec_socket_name, mode 0600) and the
// agent's (exec_agent_socket_name) in the runtime directory `dir`, relayed by a new ExecRelay
// that tells `reporter` the number of sessions as it changes.
Result<ExecRelay> serve_exec(std::filesystem::path const& dir, Reporter& reporter);

} // namespace microvm::runner
