// The exec agent: a process of microvm-init's tree that serves the exec channel
// (contract/exec_channel.hpp) from inside the VM. One channel carries every session; each
// session is a process in its own session and process group, on pipes or a pseudo-terminal.
//
// The agent trusts the runner (the host) and nothing in the guest: it is started before the
// workload, as root, and the workload cannot reach its channel (a virtio-serial port or a
// vsock connection, never the network).
#pragma once

#include <chrono>
#include <functional>
#include <optional>

#include "base/error.hpp"
#include "base/fd.hpp"
#include "contract/guest_config.hpp"
#include "guest/exec_session.hpp"

namespace microvm::guest {

// What the agent does when the host end of the channel goes away: a virtio-serial port stays
// open and the host may come back (the agent hangs up every session and waits), a connection
// (vsock, a test's socket pair) is over (the agent hangs up every session and returns).
enum class ChannelEnd { reconnects, final };

// How long a session's process group has between SIGHUP (its client went away) and SIGKILL.
inline constexpr std::chrono::milliseconds exec_hangup_grace{2000};

// The workload's stdio when it was started to be attached to (GuestConfig::interactive, tty).
struct MainStdio {
    bool tty = false;
    // The workload's end: a terminal's slave (its stdin, stdout and stderr, and its controlling
    // terminal), or the read end of its stdin pipe.
    base::Fd workload_side;
    // The agent's end: the terminal's master, or the stdin pipe's write end.
    base::Fd agent_side;
};

// Makes the workload's terminal or stdin pipe when the config asks for one; std::nullopt
// otherwise.
Result<std::optional<MainStdio>> make_main_stdio(contract::GuestConfig const& config);

// What the agent holds of the workload.
struct MainAttach {
    bool tty = false;
    base::Fd input;  // where an attached client's stdin goes
    base::Fd output; // the terminal's output (tty only)
    int log_fd = -1; // where the terminal's output is logged (the stdout port)
};

struct ExecAgentSetup {
    base::Fd channel; // connected, read-write
    ChannelEnd end = ChannelEnd::final;
    // With ChannelEnd::final: how to get a new channel once the host has dropped this one (it
    // does on a protocol error); empty: the agent returns.
    std::function<base::Fd()> reconnect;
    ExecDefaults defaults;
    base::Fd root; // the VM's "/", where users are looked up
    std::optional<MainAttach> main;
};

// Serves the channel until it ends (ChannelEnd::final) or fails. Blocks SIGCHLD and ignores
// SIGPIPE in the calling process, and reaps any of its children.
Result<void> serve_exec_channel(ExecAgentSetup setup);

// How the agent reaches the runner: the qemu engine's virtio-serial port (found by name among
// the ports), or the libkrun engine's vsock port on the host (CID 2).
enum class ExecTransport { virtio_port, vsock };

// Forks the agent as a child of the caller (microvm-init) with default dispositions for the
// termination signals, so that ending the VM's processes ends it too. Without its channel, no
// agent (logged), and a workload started to be attached to gets no client. `main`'s agent side goes
// to the agent, the caller keeps the workload side; `log_fd` is where a terminal's output is
// logged. Returns the pid or -1.
pid_t start_exec_agent(ExecTransport transport, ExecDefaults defaults,
                       std::optional<MainStdio>& main, int log_fd);

} // namespace microvm::guest
