#include "guest/exec_agent.hpp"

#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <optional>
#include <thread>

#include "base/sys.hpp"
#include "contract/exec_channel.hpp"
#include "contract/guest_protocol.hpp"
#include "guest/console.hpp"
#include "guest/ports.hpp"

namespace microvm::guest {
namespace {

using Clock = std::chrono::steady_clock;
using contract::ExecFrame;
using contract::ExecFrameType;

// Frames waiting for the channel at most before sessions stop reading their output: enough
// to keep the port streaming, and a bound on the agent's memory with a host that stalls.
constexpr std::size_t max_pending_to_host = 128 * 1024;
// Reads of the channel in one wake-up at most.
constexpr int max_reads_per_wake = 64;
// How often to look for the host's return while its end of the port is closed.
constexpr std::chrono::milliseconds reconnect_poll{50};
// Credit is returned once this much is used, or when the session's stdin is drained: fewer
// frames than one per write, and never a stall.
constexpr std::uint32_t credit_batch = contract::exec_window / 4;

struct Session {
    pid_t pid = -1;
    bool tty = false;
    base::Fd input;
    base::Fd output;
    base::Fd errors;
    std::string stdin_pending;
    bool close_stdin_when_drained = false;
    // The host's stdin credit: what it may still send.
    contract::ExecCredit stdin_allowance;
    std::uint32_t stdin_to_return = 0;
    // What this agent may still send of stdout and stderr.
    contract::ExecCredit output_credit;
    std::optional<int> status;
    // The client went away: output is read and dropped, SIGKILL at kill_at.
    bool hung_up = false;
    // The VM's workload, which clients attach to: no process of the agent's, and a client's
    // going away only detaches it.
    bool is_main = false;
    std::optional<Clock::time_point> kill_at;
};

class Agent {
public:
    explicit Agent(ExecAgentSetup setup) : m_setup(std::move(setup)) {
        if (m_setup.main) {
            m_main.emplace();
            m_main->is_main = true;
            m_main->tty = m_setup.main->tty;
            m_main->input = std::move(m_setup.main->input);
            m_main->output = std::move(m_setup.main->output);
        }
    }

    Result<void> run() {
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        if (::sigprocmask(SIG_BLOCK, &mask, nullptr) != 0) {
            return fail_errno("block SIGCHLD");
        }
        ::signal(SIGPIPE, SIG_IGN);
        m_children = base::Fd(::signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC));
        if (!m_children) {
            return fail_errno("signalfd");
        }
        while (true) {
            TRY(wait_for_events());
            if (m_host_gone) {
                hang_up_all();
                if (m_setup.end == ChannelEnd::final) {
                    // Leaving, or blocking until the host is back: no grace period to keep.
                    kill_hung_up_now();
                    if (!m_setup.reconnect) {
                        return {};
                    }
                    m_setup.channel = m_setup.reconnect();
                    m_host_disconnected = false;
                }
            }
            reap();
            pump_sessions();
            kill_overdue();
        }
    }

private:
    Result<void> wait_for_events() {
        std::vector<pollfd> fds;
        short channel_events = POLLIN;
        if (pending_to_host() > 0) {
            channel_events |= POLLOUT;
        }
        // A closed host end polls as POLLHUP at once, so it is looked at again after a pause
        // instead of being polled.
        fds.push_back({m_host_disconnected ? -1 : m_setup.channel.get(), channel_events, 0});
        fds.push_back({m_children.get(), POLLIN, 0});
        auto watch = [&](Session const& session) {
            if (may_read_output(session)) {
                for (auto const* fd : {&session.output, &session.errors}) {
                    if (*fd) {
                        fds.push_back({fd->get(), POLLIN, 0});
                    }
                }
            }
            if (session.input && !session.stdin_pending.empty()) {
                fds.push_back({session.input.get(), POLLOUT, 0});
            }
        };
        for (auto const& [id, session] : m_sessions) {
            watch(session);
        }
        if (m_main) {
            watch(*m_main);
        }
        int timeout = -1;
        if (m_host_disconnected) {
            timeout = static_cast<int>(reconnect_poll.count());
        }
        for (auto const& [id, session] : m_sessions) {
            if (session.kill_at) {
                auto const left =
                    std::chrono::ceil<std::chrono::milliseconds>(*session.kill_at - Clock::now());
                int const ms = static_cast<int>(std::max<long long>(0, left.count()));
                timeout = timeout < 0 ? ms : std::min(timeout, ms);
            }
        }
        if (::poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) {
            return fail_errno("poll");
        }
        if (m_host_disconnected) {
            pollfd probe{.fd = m_setup.channel.get(), .events = POLLIN, .revents = 0};
            if (::poll(&probe, 1, 0) < 0 || (probe.revents & POLLHUP) != 0) {
                return {};
            }
            m_host_disconnected = false; // the host is back: a new stream
        }
        short const channel = fds[0].revents;
        if ((channel & POLLIN) != 0 || (channel & POLLHUP) != 0) {
            read_channel();
        }
        if ((channel & POLLOUT) != 0) {
            write_channel();
        }
        return {};
    }

    // Reads until the port has nothing more (a virtio port hands out one page per read, and a
    // poll per page costs more than the copy under TCG), up to a bound so that the sessions'
    // own descriptors get their turn.
    void read_channel() {
        for (int round = 0; round < max_reads_per_wake && !m_host_disconnected; ++round) {
            auto space = m_decoder.space();
            ssize_t const n = ::read(m_setup.channel.get(), space.data(), space.size());
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
                host_went_away();
                return;
            }
            if (n < 0) {
                return;
            }
            m_decoder.commit(static_cast<std::size_t>(n));
            while (true) {
                auto frame = m_decoder.next();
                if (!frame) {
                    log("exec channel: " + frame.error().text() + "; dropping the stream");
                    host_went_away();
                    return;
                }
                if (!*frame) {
                    break;
                }
                handle(**frame);
            }
        }
    }

    void write_channel() {
        while (pending_to_host() > 0) {
            ssize_t const n = ::write(m_setup.channel.get(), m_to_host.data() + m_to_host_sent,
                                      pending_to_host());
            if (n < 0) {
                if (errno != EAGAIN && errno != EINTR) {
                    host_went_away();
                }
                break;
            }
            m_to_host_sent += static_cast<std::size_t>(n);
        }
        // Sent bytes are dropped in one move once they are the larger part, not per write.
        if (m_to_host_sent == m_to_host.size()) {
            m_to_host.clear();
            m_to_host_sent = 0;
        } else if (m_to_host_sent > m_to_host.size() / 2) {
            m_to_host.erase(0, m_to_host_sent);
            m_to_host_sent = 0;
        }
    }

    std::size_t pending_to_host() const { return m_to_host.size() - m_to_host_sent; }

    void host_went_away() {
        m_host_gone = true;
        m_host_disconnected = true;
        m_to_host.clear();
        m_decoder = contract::ExecFrameDecoder();
    }

    void hang_up_all() {
        m_host_gone = false;
        for (auto& [id, session] : m_sessions) {
            hang_up(session);
        }
        detach();
    }

    void send(ExecFrameType type, std::uint32_t session, std::string_view payload = {}) {
        contract::append_exec_frame(m_to_host, type, session, payload);
    }
    void send_u32(ExecFrameType type, std::uint32_t session, std::uint32_t value) {
        contract::append_exec_frame_u32(m_to_host, type, session, value);
    }
    void send_failure(std::uint32_t session, std::string message) {
        send(ExecFrameType::failed, session,
             contract::encode_exec_failure({.status = 125, .message = std::move(message)}));
    }

    void handle(ExecFrame const& frame) {
        if (contract::is_agent_frame(frame.type)) {
            log(std::string("exec channel: the host sent a ") + to_string(frame.type) +
                " frame, which only the agent sends; ignored");
            return;
        }
        if (frame.type == ExecFrameType::open) {
            open_session(frame);
            return;
        }
        if (m_attached && *m_attached == frame.session) {
            if (auto handled = handle_session_frame(*m_main, frame); !handled) {
                log("exec session " + std::to_string(frame.session) +
                    " (attached): " + handled.error().text() + "; detaching it");
                detach();
            }
            return;
        }
        auto const it = m_sessions.find(frame.session);
        if (it == m_sessions.end()) {
            return; // a session that just ended: its last frames crossed ours
        }
        if (auto handled = handle_session_frame(it->second, frame); !handled) {
            log("exec session " + std::to_string(frame.session) + ": " + handled.error().text() +
                "; hanging it up");
            hang_up(it->second);
        }
    }

    void open_session(ExecFrame const& frame) {
        if (m_sessions.contains(frame.session)) {
            log("exec channel: session " + std::to_string(frame.session) + " is already open");
            return;
        }
        if (m_sessions.size() >= contract::max_exec_sessions) {
            send_failure(frame.session, "too many exec sessions (" +
                                            std::to_string(contract::max_exec_sessions) + ")");
            return;
        }
        auto const request = contract::decode_exec_request(frame.payload);
        if (!request) {
            send_failure(frame.session, "bad exec request: " + request.error().text());
            return;
        }
        if (request->attach) {
            attach(frame.session, *request);
            return;
        }
        auto spec = exec_workload(*request, m_setup.defaults, m_setup.root);
        if (!spec) {
            send_failure(frame.session, spec.error().text());
            return;
        }
        auto child = start_exec_child(*spec, *request);
        if (!child) {
            send_failure(frame.session,
                         "start " + request->argv.front() + ": " + child.error().text());
            return;
        }
        send_u32(ExecFrameType::started, frame.session, static_cast<std::uint32_t>(child->pid));
        if (request->detach) {
            return; // reaped like any child; nobody waits for it
        }
        Session session{.pid = child->pid,
                        .tty = request->tty,
                        .input = std::move(child->input),
                        .output = std::move(child->output),
                        .errors = std::move(child->errors)};
        m_sessions.emplace(frame.session, std::move(session));
    }

    Result<void> handle_session_frame(Session& session, ExecFrame const& frame) {
        switch (frame.type) {
        case ExecFrameType::stdin_data:
            TRY(session.stdin_allowance.spend(frame.payload.size()));
            if (!session.input || session.close_stdin_when_drained) {
                // Nobody reads it any more; the credit goes back so the client never stalls.
                session.stdin_to_return += static_cast<std::uint32_t>(frame.payload.size());
                return_stdin_credit(frame.session, session);
            } else {
                session.stdin_pending += frame.payload;
            }
            return {};
        case ExecFrameType::stdin_close:
            // One client's end of input is not the workload's: its terminal outlives attaches.
            if (!(session.is_main && session.tty)) {
                session.close_stdin_when_drained = true;
            }
            return {};
        case ExecFrameType::signal: {
            std::uint32_t const signo = TRY(contract::exec_frame_u32(frame));
            if (signo == 0 || signo >= static_cast<std::uint32_t>(NSIG)) {
                return fail("signal " + std::to_string(signo) + " does not exist");
            }
            if (session.is_main) {
                // The workload's own process is init's, not the agent's: a signal goes where
                // the terminal would send it, its foreground process group.
                pid_t const group =
                    session.tty && session.output ? ::tcgetpgrp(session.output.get()) : -1;
                if (group > 0) {
                    ::kill(-group, static_cast<int>(signo));
                }
            } else if (!session.status) {
                ::kill(session.pid, static_cast<int>(signo));
            }
            return {};
        }
        case ExecFrameType::resize: {
            auto const size = TRY(contract::decode_window_size(frame.payload));
            if (session.tty && session.output) {
                winsize const ws{
                    .ws_row = size.rows, .ws_col = size.cols, .ws_xpixel = 0, .ws_ypixel = 0};
                ::ioctl(session.output.get(), TIOCSWINSZ, &ws);
            }
            return {};
        }
        case ExecFrameType::output_credit:
            return session.output_credit.grant(TRY(contract::exec_frame_u32(frame)));
        case ExecFrameType::hangup:
            if (session.is_main) {
                detach();
            } else {
                hang_up(session);
            }
            return {};
        default:
            return fail(std::string("unexpected ") + to_string(frame.type) + " frame");
        }
    }

    void return_stdin_credit(std::uint32_t id, Session& session) {
        if (session.is_main && !m_attached) {
            return; // nobody to return it to; an attach starts with a fresh window
        }
        if (session.stdin_to_return == 0 ||
            (session.stdin_to_return < credit_batch && !session.stdin_pending.empty())) {
            return;
        }
        send_u32(ExecFrameType::stdin_credit, id, session.stdin_to_return);
        // The grant cannot fail: what is returned was spent before.
        (void)session.stdin_allowance.grant(session.stdin_to_return);
        session.stdin_to_return = 0;
    }

    void hang_up(Session& session) {
        if (session.hung_up) {
            return;
        }
        session.hung_up = true;
        session.stdin_pending.clear();
        session.input.reset();
        if (!session.status) {
            ::kill(-session.pid, SIGHUP);
            ::kill(-session.pid, SIGCONT);
            session.kill_at = Clock::now() + exec_hangup_grace;
        }
    }

    // Read without credit: a hung-up session's output (dropped), and the workload's terminal
    // while nobody is attached (into the log and the replay), so it never blocks on a terminal
    // nobody reads.
    bool reads_freely(Session const& session) const {
        return session.hung_up || (session.is_main && !m_attached);
    }

    bool may_read_output(Session const& session) const {
        return reads_freely(session) ||
               (session.output_credit.available() > 0 && pending_to_host() < max_pending_to_host);
    }

    void reap() {
        signalfd_siginfo info;
        while (::read(m_children.get(), &info, sizeof(info)) > 0) {
        }
        while (true) {
            int status = 0;
            pid_t const pid = ::waitpid(-1, &status, WNOHANG);
            if (pid <= 0) {
                return;
            }
            for (auto& [id, session] : m_sessions) {
                if (session.pid == pid) {
                    session.status = exit_status(status);
                    if (session.hung_up) {
                        // What the group started and that ignored SIGHUP ends now, while the
                        // group's members keep its id from being reused.
                        ::kill(-pid, SIGKILL);
                    }
                    session.kill_at.reset();
                }
            }
        }
    }

    void pump_sessions() {
        for (auto it = m_sessions.begin(); it != m_sessions.end();) {
            auto& [id, session] = *it;
            pump_stdin(id, session);
            pump_output(id, session, session.output, ExecFrameType::stdout_data);
            pump_output(id, session, session.errors, ExecFrameType::stderr_data);
            if (session.status && !session.output && !session.errors) {
                if (!session.hung_up) {
                    send_u32(ExecFrameType::exited, id,
                             static_cast<std::uint32_t>(*session.status));
                }
                it = m_sessions.erase(it);
            } else {
                ++it;
            }
        }
        if (m_main) {
            std::uint32_t const id = m_attached.value_or(0);
            pump_stdin(id, *m_main);
            pump_output(id, *m_main, m_main->output, ExecFrameType::stdout_data);
        }
    }

    void pump_stdin(std::uint32_t id, Session& session) {
        while (session.input && !session.stdin_pending.empty()) {
            ssize_t const n = ::write(session.input.get(), session.stdin_pending.data(),
                                      session.stdin_pending.size());
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
                break;
            }
            std::size_t const used =
                n > 0 ? static_cast<std::size_t>(n) : session.stdin_pending.size();
            if (n < 0) {
                session.input.reset(); // EPIPE: the process closed its stdin
            }
            session.stdin_pending.erase(0, used);
            session.stdin_to_return += static_cast<std::uint32_t>(used);
        }
        return_stdin_credit(id, session);
        if (session.close_stdin_when_drained && session.stdin_pending.empty() && session.input) {
            if (session.tty) {
                // A terminal has no end of input; its EOF character is what a typist sends.
                char const eof = 0x04;
                (void)::write(session.input.get(), &eof, 1);
            }
            session.input.reset();
        }
    }

    void pump_output(std::uint32_t id, Session& session, base::Fd& fd, ExecFrameType type) {
        char buffer[contract::max_exec_data_chunk];
        // Reads per wake-up at most: a process that writes without pause must not keep the
        // agent from its other sessions and deadlines.
        for (int round = 0; round < max_reads_per_wake && fd && may_read_output(session); ++round) {
            std::size_t const want =
                reads_freely(session)
                    ? sizeof(buffer)
                    : std::min<std::size_t>(sizeof(buffer), session.output_credit.available());
            ssize_t const n = ::read(fd.get(), buffer, want);
            if (n > 0) {
                std::string_view const bytes(buffer, static_cast<std::size_t>(n));
                if (session.is_main) {
                    keep_main_output(bytes);
                }
                if (!reads_freely(session)) {
                    (void)session.output_credit.spend(bytes.size());
                    send(type, id, bytes);
                }
                continue;
            }
            if (n < 0 && errno == EINTR) {
                continue;
            }
            // EOF, EIO (a terminal whose last user is gone), or nothing left once the process
            // has ended: what a background process it left behind writes later is not waited for.
            if (n == 0 || errno != EAGAIN || session.status) {
                fd.reset();
                if (session.is_main && m_attached) {
                    // The workload's terminal is gone; its status is the VM's to report.
                    send_u32(ExecFrameType::exited, *m_attached, 0);
                    m_attached.reset();
                }
            }
            return;
        }
    }

    void attach(std::uint32_t id, contract::ExecRequest const& request) {
        if (!m_main) {
            send_failure(id, "the VM's workload was not started to be attached to (run -i or -t)");
            return;
        }
        if (m_attached) {
            send_failure(id, "another client is attached to the VM's workload");
            return;
        }
        if (m_main->tty && !m_main->output) {
            send_failure(id, "the VM's workload has closed its terminal");
            return;
        }
        m_attached = id;
        m_main->close_stdin_when_drained = false;
        m_main->output_credit = contract::ExecCredit();
        m_main->stdin_allowance = contract::ExecCredit();
        m_main->stdin_pending.clear();
        m_main->stdin_to_return = 0;
        if (m_main->tty && request.rows != 0 && request.cols != 0) {
            winsize const ws{
                .ws_row = request.rows, .ws_col = request.cols, .ws_xpixel = 0, .ws_ypixel = 0};
            ::ioctl(m_main->output.get(), TIOCSWINSZ, &ws);
        }
        send_u32(ExecFrameType::started, id, 0);
        // What the workload wrote before anyone attached (a shell's first prompt) goes to the
        // first client; it fits in the window.
        for (std::size_t offset = 0; offset < m_replay.size();
             offset += contract::max_exec_data_chunk) {
            auto const chunk =
                std::string_view(m_replay).substr(offset, contract::max_exec_data_chunk);
            (void)m_main->output_credit.spend(chunk.size());
            send(ExecFrameType::stdout_data, id, chunk);
        }
        m_replay.clear();
        m_replay.shrink_to_fit();
        m_ever_attached = true;
    }

    void detach() { m_attached.reset(); }

    // The workload's terminal output: always to the stdout log, and kept for the first attach.
    void keep_main_output(std::string_view bytes) {
        if (!m_ever_attached) {
            m_replay.append(bytes);
            if (m_replay.size() > contract::max_attach_replay) {
                m_replay.erase(0, m_replay.size() - contract::max_attach_replay);
            }
        }
        int const log_fd = m_setup.main->log_fd;
        while (log_fd >= 0 && !bytes.empty()) {
            ssize_t const n = ::write(log_fd, bytes.data(), bytes.size());
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                return; // the log misses it; an attached client still gets it
            }
            bytes.remove_prefix(static_cast<std::size_t>(n));
        }
    }

    void kill_hung_up_now() {
        for (auto& [id, session] : m_sessions) {
            if (session.hung_up && !session.status) {
                ::kill(-session.pid, SIGKILL);
            }
        }
    }

    void kill_overdue() {
        auto const now = Clock::now();
        for (auto& [id, session] : m_sessions) {
            if (session.kill_at && now >= *session.kill_at) {
                ::kill(-session.pid, SIGKILL);
                session.kill_at.reset();
            }
        }
    }

    ExecAgentSetup m_setup;
    base::Fd m_children;
    contract::ExecFrameDecoder m_decoder;
    std::string m_to_host;
    std::size_t m_to_host_sent = 0;
    std::map<std::uint32_t, Session> m_sessions;
    // The VM's workload, when it was started to be attached to, and the session attached now.
    std::optional<Session> m_main;
    std::optional<std::uint32_t> m_attached;
    std::string m_replay;
    bool m_ever_attached = false;
    // Set by host_went_away(); handled once per loop.
    bool m_host_gone = false;
    // The port's host end is closed (POLLHUP): poll again after reconnect_poll.
    bool m_host_disconnected = false;
};

} // namespace

Result<void> serve_exec_channel(ExecAgentSetup setup) {
    return Agent(std::move(setup)).run();
}

Result<std::optional<MainStdio>> make_main_stdio(contract::GuestConfig const& config) {
    if (config.tty) {
        auto terminal = TRY(open_exec_terminal(0, 0));
        return MainStdio{.tty = true,
                         .workload_side = std::move(terminal.slave),
                         .agent_side = std::move(terminal.master)};
    }
    if (config.interactive) {
        auto pipe = TRY_CTX(base::sys::make_pipe(), "the workload's stdin");
        return MainStdio{.tty = false,
                         .workload_side = std::move(pipe.read),
                         .agent_side = std::move(pipe.write)};
    }
    return std::nullopt;
}

namespace {

// How long the agent waits between attempts to reach the host over vsock, and how long init
// waits for its first connection before it starts the workload anyway (a libkrun without the
// exec port: nothing to take over then).
constexpr std::chrono::seconds vsock_retry{1};
constexpr std::chrono::milliseconds vsock_connect_patience{5000};

base::Fd connect_vsock_until_done() {
    bool logged = false;
    while (true) {
        base::Fd socket(::socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_vm address{};
        address.svm_family = AF_VSOCK;
        address.svm_cid = VMADDR_CID_HOST;
        address.svm_port = contract::exec_vsock_port;
        if (socket && ::connect(socket.get(), reinterpret_cast<sockaddr const*>(&address),
                                sizeof(address)) == 0) {
            int const flags = ::fcntl(socket.get(), F_GETFL);
            (void)::fcntl(socket.get(), F_SETFL, flags | O_NONBLOCK);
            return socket;
        }
        if (!logged) {
            log(Error::from_errno("exec agent: connect to the host's vsock port " +
                                  std::to_string(contract::exec_vsock_port))
                    .text() +
                "; retrying");
            logged = true;
        }
        std::this_thread::sleep_for(vsock_retry);
    }
}

// The agent's hold on the workload: the master twice (input and output) for a terminal.
Result<MainAttach> agent_hold(MainStdio& main, int log_fd) {
    MainAttach attach{.tty = main.tty, .input = {}, .output = {}, .log_fd = log_fd};
    int const flags = ::fcntl(main.agent_side.get(), F_GETFL);
    if (flags < 0 || ::fcntl(main.agent_side.get(), F_SETFL, flags | O_NONBLOCK) < 0) {
        return fail_errno("fcntl(O_NONBLOCK)");
    }
    if (main.tty) {
        attach.input = base::Fd(::fcntl(main.agent_side.get(), F_DUPFD_CLOEXEC, 0));
        if (!attach.input) {
            return fail_errno("dup the workload's terminal");
        }
        attach.output = std::move(main.agent_side);
    } else {
        attach.input = std::move(main.agent_side);
    }
    return attach;
}

} // namespace

pid_t start_exec_agent(ExecTransport transport, ExecDefaults defaults,
                       std::optional<MainStdio>& main, int log_fd) {
    base::Fd channel;
    if (transport == ExecTransport::virtio_port) {
        auto const ports = discover_ports("/sys/class/virtio-ports", "/dev");
        auto const port = ports.find(contract::exec_port_name);
        if (port == ports.end()) {
            log(std::string("no virtio-serial port named ") + contract::exec_port_name +
                "; exec is not available in this VM");
            return -1;
        }
        channel =
            base::Fd(::open(port->second.c_str(), O_RDWR | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
        if (!channel) {
            log(Error::from_errno("open " + port->second + " (exec port)").text());
            return -1;
        }
    }
    base::Fd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    // Over vsock any guest process can reach the host's port, and the runner serves the first
    // connection: the workload starts only once the agent has made it.
    auto connected = base::sys::make_pipe();
    if (!connected) {
        log("exec agent: " + connected.error().text());
        return -1;
    }
    pid_t const pid = ::fork();
    if (pid < 0) {
        log(Error::from_errno("fork the exec agent").text());
        return -1;
    }
    if (pid > 0) {
        if (main) {
            main->agent_side.reset(); // else the workload's stdin would never end
        }
        connected->write.reset();
        if (transport == ExecTransport::vsock) {
            pollfd ready{.fd = connected->read.get(), .events = POLLIN, .revents = 0};
            if (::poll(&ready, 1, static_cast<int>(vsock_connect_patience.count())) != 1) {
                log("the exec agent has not reached the host within " +
                    std::to_string(vsock_connect_patience.count()) +
                    " ms; the workload starts without waiting for it");
            }
        }
        return pid;
    }
    connected->read.reset();
    std::optional<MainAttach> attach;
    if (main) {
        main->workload_side.reset();
        auto held = agent_hold(*main, log_fd);
        if (!held) {
            log("exec agent: " + held.error().text() + "; the workload cannot be attached to");
        } else {
            attach = std::move(*held);
        }
    }
    for (int sig : {SIGTERM, SIGINT, SIGHUP}) {
        ::signal(sig, SIG_DFL);
    }
    // The control port's SIGIO is meant for PID 1, and its default would end the agent.
    ::signal(SIGIO, SIG_IGN);
    ::setsid();
    if (transport == ExecTransport::vsock) {
        // The host end exists before the VM starts; the retries cover a vsock device that is
        // still coming up.
        channel = connect_vsock_until_done();
    }
    connected->write.reset(); // the workload may start
    auto served =
        serve_exec_channel({.channel = std::move(channel),
                            .end = transport == ExecTransport::virtio_port ? ChannelEnd::reconnects
                                                                           : ChannelEnd::final,
                            .reconnect = transport == ExecTransport::vsock
                                             ? std::function<base::Fd()>(connect_vsock_until_done)
                                             : std::function<base::Fd()>(),
                            .defaults = std::move(defaults),
                            .root = std::move(root),
                            .main = std::move(attach)});
    if (!served) {
        log("exec agent: " + served.error().text());
    }
    _exit(served ? 0 : 1);
}

} // namespace microvm::guest
