#include "runner/exec_relay.hpp"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <chrono>
#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "base/unix_socket.hpp"
#include "contract/exec_channel.hpp"
#include "runner/logging.hpp"

namespace microvm::runner {

namespace {

using contract::ExecFrame;
using contract::ExecFrameType;

// Frames queued for the agent at most before clients stop being read: the one place a guest
// that never drains its channel could make the relay hold client bytes.
constexpr std::size_t max_queued_for_agent = 1024 * 1024;
// Credit goes back once this much is passed on, or when nothing is left to pass on.
constexpr std::uint32_t credit_batch = contract::exec_window / 4;

struct Client {
    base::Fd socket;
    contract::ExecFrameDecoder decoder;
    bool opened = false;
    bool started = false;
    // exited or failed queued: the connection closes once to_client is written.
    bool ended = false;
    std::string to_client;
    // Where each queued data frame ends in the stream to the client, and its data bytes: once
    // written, they are credited back to the agent.
    std::deque<std::pair<std::uint64_t, std::uint32_t>> data_ends;
    std::uint64_t queued_total = 0;
    std::uint64_t written_total = 0;
    // Where the last data frame queued for the client starts (a position in the stream), so
    // that the next piece of the same stream joins it: tiny frames from the guest cannot make
    // the relay hold a header per byte.
    std::optional<std::uint64_t> open_data_frame;
    ExecFrameType open_data_type = ExecFrameType::stdout_data;
    std::uint32_t output_to_return = 0;
    contract::ExecCredit agent_output; // what the agent may still send us
    contract::ExecCredit client_stdin; // what the client may still send us
    contract::ExecCredit agent_stdin;  // what we may still send the agent
    std::string stdin_pending;
    std::uint32_t stdin_to_return = 0;
    bool close_stdin = false;
};

} // namespace

struct ExecRelay::State {
    base::Fd clients_listener;
    base::Fd agent_listener;
    base::Fd agent;
    base::Fd stop;
    contract::ExecFrameDecoder agent_decoder;
    std::string to_agent;
    // Hangups not yet queued for the agent: sent once the queue has room.
    std::set<std::uint32_t> pending_hangups;
    std::map<std::uint32_t, Client> clients;
    std::uint32_t next_id = 0;
    bool unknown_session_logged = false;
    bool second_agent_logged = false;
    // Out of descriptors (or memory) for the connections waiting: the listeners stay readable,
    // so they are left out of poll() until then rather than spun on.
    std::optional<std::chrono::steady_clock::time_point> accepts_paused_until;
    bool accept_failure_logged = false;
    std::atomic<std::size_t> live{0};
    std::function<void(std::size_t)> on_sessions_changed;
    std::thread thread;

    void run() {
        while (true) {
            int timeout = -1;
            if (accepts_paused_until) {
                auto const left = std::chrono::ceil<std::chrono::milliseconds>(
                    *accepts_paused_until - std::chrono::steady_clock::now());
                if (left.count() <= 0) {
                    accepts_paused_until.reset();
                } else {
                    timeout = static_cast<int>(left.count());
                }
            }
            bool const accepting = !accepts_paused_until;
            std::vector<pollfd> fds = {{stop.get(), POLLIN, 0},
                                       {accepting ? clients_listener.get() : -1, POLLIN, 0},
                                       {accepting ? agent_listener.get() : -1, POLLIN, 0}};
            if (agent) {
                fds.push_back({agent.get(),
                               static_cast<short>(POLLIN | (to_agent.empty() ? 0 : POLLOUT)), 0});
            }
            std::vector<std::uint32_t> order;
            for (auto& [id, client] : clients) {
                short events = 0;
                if (!client.ended && agent && to_agent.size() < max_queued_for_agent) {
                    events |= POLLIN;
                }
                if (!client.to_client.empty()) {
                    events |= POLLOUT;
                }
                fds.push_back({client.socket.get(), events, 0});
                order.push_back(id);
            }
            if (::poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) {
                notice(std::string("exec relay: poll: ") + ::strerror(errno) +
                       "; exec is no longer served");
                return;
            }
            if (fds[0].revents != 0) {
                return;
            }
            std::size_t next = 3;
            if (agent) {
                if ((fds[next].revents & POLLOUT) != 0) {
                    write_agent();
                }
                if ((fds[next].revents & (POLLIN | POLLHUP | POLLERR)) != 0 && agent) {
                    read_agent();
                }
                ++next;
            }
            for (std::size_t i = 0; i < order.size(); ++i) {
                short const revents = fds[next + i].revents;
                auto const it = clients.find(order[i]);
                if (it == clients.end()) {
                    continue;
                }
                if ((revents & POLLOUT) != 0) {
                    write_client(it->first, it->second);
                }
                if ((revents & (POLLIN | POLLHUP | POLLERR)) != 0 && it->second.socket) {
                    read_client(it->first, it->second);
                }
            }
            queue_control_for_agent();
            std::erase_if(clients, [](auto const& entry) { return !entry.second.socket; });
            // Last: a connection accepted now has no slot in this round's poll results.
            if (fds[1].revents != 0) {
                accept_client();
            }
            if (fds[2].revents != 0) {
                accept_agent();
            }
            if (clients.size() != live) {
                live = clients.size();
                if (on_sessions_changed) {
                    on_sessions_changed(clients.size());
                }
            }
        }
    }

    // After a failed accept4(): pause accepting when the failure is a lack of resources.
    void accept_failed() {
        if (errno != EMFILE && errno != ENFILE && errno != ENOBUFS && errno != ENOMEM) {
            return;
        }
        if (!accept_failure_logged) {
            notice(std::string("exec relay: cannot accept a connection: ") + ::strerror(errno) +
                   "; trying again every 100 ms");
            accept_failure_logged = true;
        }
        accepts_paused_until = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
    }

    void accept_client() {
        base::Fd socket(
            ::accept4(clients_listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!socket) {
            accept_failed();
            return;
        }
        if (clients.size() >= contract::max_exec_sessions) {
            std::string frame;
            contract::append_exec_frame(
                frame, ExecFrameType::failed, 0,
                contract::encode_exec_failure(
                    {.status = 125,
                     .message = "the VM has " + std::to_string(contract::max_exec_sessions) +
                                " exec sessions already, the most it serves at once"}));
            (void)::send(socket.get(), frame.data(), frame.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
            return;
        }
        do {
            ++next_id;
        } while (next_id == 0 || clients.contains(next_id));
        clients[next_id].socket = std::move(socket);
    }

    void accept_agent() {
        base::Fd socket(
            ::accept4(agent_listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!socket) {
            accept_failed();
            return;
        }
        // The first connection is the agent's (microvm-init starts it before the workload and
        // waits for it to connect); a later one while it is connected is refused, so that no
        // other guest process can take the channel over (on libkrun any guest process can
        // reach the vsock port).
        if (agent) {
            if (!second_agent_logged) {
                notice("exec channel: a second connection from the guest while the agent's is "
                       "open; refused");
                second_agent_logged = true;
            }
            return;
        }
        agent = std::move(socket);
    }

    // Every session of the channel ends: the stream is out of step or gone.
    void drop_agent(std::string const& why) {
        notice("exec channel: " + why + "; ending its " + std::to_string(clients.size()) +
               " session(s)");
        agent.reset();
        agent_decoder = contract::ExecFrameDecoder();
        to_agent.clear();
        unknown_session_logged = false;
        for (auto& [id, client] : clients) {
            fail_client(client, "the VM's exec channel closed: " + why);
        }
    }

    void send_agent(ExecFrameType type, std::uint32_t id, std::string_view payload = {}) {
        contract::append_exec_frame(to_agent, type, id, payload);
    }

    void write_agent() {
        ssize_t const n =
            ::send(agent.get(), to_agent.data(), to_agent.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            to_agent.erase(0, static_cast<std::size_t>(n));
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            drop_agent(std::string("send: ") + ::strerror(errno));
        }
    }

    void read_agent() {
        auto space = agent_decoder.space();
        ssize_t const n = ::recv(agent.get(), space.data(), space.size(), MSG_DONTWAIT);
        if (n == 0) {
            drop_agent("the VM closed it");
            return;
        }
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR) {
                drop_agent(std::string("recv: ") + ::strerror(errno));
            }
            return;
        }
        agent_decoder.commit(static_cast<std::size_t>(n));
        while (agent) {
            auto frame = agent_decoder.next();
            if (!frame) {
                drop_agent("the guest sent a bad frame: " + frame.error().text());
                return;
            }
            if (!*frame) {
                return;
            }
            from_agent(**frame);
        }
    }

    void from_agent(ExecFrame const& frame) {
        if (!contract::is_agent_frame(frame.type)) {
            drop_agent(std::string("the guest sent a ") + to_string(frame.type) +
                       " frame, which only clients send");
            return;
        }
        auto const it = clients.find(frame.session);
        if (it == clients.end() || !it->second.opened || it->second.ended) {
            // A session whose client left: its last frames crossed the hangup.
            if (!unknown_session_logged) {
                spdlog::debug("exec channel: frames for session {}, which is not open",
                              frame.session);
                unknown_session_logged = true;
            }
            return;
        }
        if (auto handled = session_frame(it->second, frame); !handled) {
            notice("exec session " + std::to_string(frame.session) +
                   ": the guest broke the protocol: " + handled.error().text() +
                   "; ending the session");
            pending_hangups.insert(frame.session);
            fail_client(it->second, "the VM broke the exec protocol: " + handled.error().text());
        }
    }

    Result<void> session_frame(Client& client, ExecFrame const& frame) {
        switch (frame.type) {
        case ExecFrameType::stdout_data:
        case ExecFrameType::stderr_data: {
            if (frame.payload.empty() || frame.payload.size() > contract::max_exec_data_chunk) {
                return fail("a data frame of " + std::to_string(frame.payload.size()) +
                            " bytes (1 to " + std::to_string(contract::max_exec_data_chunk) + ")");
            }
            TRY(client.agent_output.spend(frame.payload.size()));
            queue_data(client, frame.type, frame.payload);
            return {};
        }
        case ExecFrameType::stdin_credit:
            TRY(client.agent_stdin.grant(TRY(contract::exec_frame_u32(frame))));
            forward_stdin(frame.session, client);
            return {};
        case ExecFrameType::started:
            if (client.started) {
                return fail("a second started frame");
            }
            TRY(contract::exec_frame_u32(frame));
            client.started = true;
            queue_to_client(client, frame.type, frame.payload);
            return {};
        case ExecFrameType::exited: {
            std::uint32_t const status = TRY(contract::exec_frame_u32(frame));
            if (status > 255) {
                return fail("exit status " + std::to_string(status));
            }
            queue_to_client(client, frame.type, frame.payload);
            client.ended = true;
            return {};
        }
        case ExecFrameType::failed: {
            auto const failure = TRY(contract::decode_exec_failure(frame.payload));
            queue_to_client(client, frame.type, contract::encode_exec_failure(failure));
            client.ended = true;
            return {};
        }
        default:
            return fail(std::string("unexpected ") + to_string(frame.type) + " frame");
        }
    }

    void queue_to_client(Client& client, ExecFrameType type, std::string_view payload) {
        contract::append_exec_frame(client.to_client, type, 0, payload);
        client.queued_total += contract::exec_frame_header_size + payload.size();
        client.open_data_frame.reset();
    }

    // Queues output for the client, joining the last data frame of the same stream while none
    // of it has been written and it has room; each piece is credited back once written.
    void queue_data(Client& client, ExecFrameType type, std::string_view payload) {
        auto const start = client.open_data_frame;
        if (start && client.open_data_type == type && *start >= client.written_total) {
            std::size_t const at = static_cast<std::size_t>(*start - client.written_total);
            std::uint32_t length = 0;
            std::memcpy(&length, client.to_client.data() + at, sizeof(length));
            if (length + payload.size() <= contract::max_exec_frame_payload) {
                length += static_cast<std::uint32_t>(payload.size());
                static_assert(std::endian::native == std::endian::little,
                              "the header's length field is little-endian");
                std::memcpy(client.to_client.data() + at, &length, sizeof(length));
                client.to_client.append(payload);
                client.queued_total += payload.size();
                client.data_ends.back().first = client.queued_total;
                client.data_ends.back().second += static_cast<std::uint32_t>(payload.size());
                return;
            }
        }
        client.open_data_frame = client.queued_total;
        client.open_data_type = type;
        contract::append_exec_frame(client.to_client, type, 0, payload);
        client.queued_total += contract::exec_frame_header_size + payload.size();
        client.data_ends.emplace_back(client.queued_total,
                                      static_cast<std::uint32_t>(payload.size()));
    }

    void fail_client(Client& client, std::string message) {
        if (client.ended) {
            return;
        }
        queue_to_client(
            client, ExecFrameType::failed,
            contract::encode_exec_failure({.status = 125, .message = std::move(message)}));
        client.ended = true;
    }

    void write_client(std::uint32_t id, Client& client) {
        ssize_t const n = ::send(client.socket.get(), client.to_client.data(),
                                 client.to_client.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR) {
                client_left(id, client);
            }
            return;
        }
        client.to_client.erase(0, static_cast<std::size_t>(n));
        client.written_total += static_cast<std::uint64_t>(n);
        while (!client.data_ends.empty() &&
               client.data_ends.front().first <= client.written_total) {
            client.output_to_return += client.data_ends.front().second;
            client.data_ends.pop_front();
        }
        if (client.ended && client.to_client.empty()) {
            client.socket.reset();
        }
    }

    void client_left(std::uint32_t id, Client& client) {
        if (client.opened && !client.ended && agent) {
            pending_hangups.insert(id);
        }
        client.socket.reset();
    }

    bool agent_queue_has_room() const { return to_agent.size() < max_queued_for_agent; }

    // Hangups and output credit go to the agent only while its queue has room: a guest that
    // never drains its channel cannot make them pile up. Credit adds up per session meanwhile,
    // and a hangup is one entry per session.
    void queue_control_for_agent() {
        if (!agent) {
            pending_hangups.clear();
            return;
        }
        while (!pending_hangups.empty() && agent_queue_has_room()) {
            send_agent(ExecFrameType::hangup, *pending_hangups.begin());
            pending_hangups.erase(pending_hangups.begin());
        }
        for (auto& [id, client] : clients) {
            if (!agent_queue_has_room()) {
                return;
            }
            bool const due = client.output_to_return >= credit_batch ||
                             (client.output_to_return > 0 && client.to_client.empty());
            if (due && !client.ended && client.socket) {
                contract::append_exec_frame_u32(to_agent, ExecFrameType::output_credit, id,
                                                client.output_to_return);
                (void)client.agent_output.grant(client.output_to_return);
                client.output_to_return = 0;
            }
            forward_stdin(id, client);
        }
    }

    void read_client(std::uint32_t id, Client& client) {
        auto space = client.decoder.space();
        ssize_t const n = ::recv(client.socket.get(), space.data(), space.size(), MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            client_left(id, client);
            return;
        }
        if (n < 0) {
            return;
        }
        client.decoder.commit(static_cast<std::size_t>(n));
        while (client.socket && !client.ended) {
            auto frame = client.decoder.next();
            if (frame && !*frame) {
                break;
            }
            Result<void> handled = frame ? client_frame(id, client, **frame)
                                         : Result<void>(std::unexpected(frame.error()));
            if (!handled) {
                if (client.opened) {
                    pending_hangups.insert(id);
                }
                fail_client(client, "bad exec request: " + handled.error().text());
            }
        }
        forward_stdin(id, client);
    }

    Result<void> client_frame(std::uint32_t id, Client& client, ExecFrame const& frame) {
        if (!client.opened) {
            if (frame.type != ExecFrameType::open) {
                return fail(std::string("a session starts with an open frame, not ") +
                            to_string(frame.type));
            }
            client.opened = true;
            send_agent(ExecFrameType::open, id, frame.payload);
            return {};
        }
        switch (frame.type) {
        case ExecFrameType::stdin_data:
            if (client.close_stdin) {
                return fail("stdin after its end");
            }
            TRY(client.client_stdin.spend(frame.payload.size()));
            client.stdin_pending += frame.payload;
            return {};
        case ExecFrameType::stdin_close:
            client.close_stdin = true;
            return {};
        case ExecFrameType::signal:
            TRY(contract::exec_frame_u32(frame));
            send_agent(frame.type, id, frame.payload);
            return {};
        case ExecFrameType::resize:
            TRY(contract::decode_window_size(frame.payload));
            send_agent(frame.type, id, frame.payload);
            return {};
        default:
            return fail(std::string("unexpected ") + to_string(frame.type) + " frame");
        }
    }

    // Passes the client's stdin on within the agent's credit, and the credit back to the
    // client as it goes.
    void forward_stdin(std::uint32_t id, Client& client) {
        if (!client.socket || !client.opened || client.ended || !agent) {
            return;
        }
        while (!client.stdin_pending.empty() && client.agent_stdin.available() > 0 &&
               agent_queue_has_room()) {
            std::size_t const chunk =
                std::min({client.stdin_pending.size(), std::size_t{client.agent_stdin.available()},
                          contract::max_exec_data_chunk});
            send_agent(ExecFrameType::stdin_data, id,
                       std::string_view(client.stdin_pending).substr(0, chunk));
            (void)client.agent_stdin.spend(chunk);
            client.stdin_pending.erase(0, chunk);
            client.stdin_to_return += static_cast<std::uint32_t>(chunk);
        }
        if (client.stdin_to_return >= credit_batch ||
            (client.stdin_to_return > 0 && client.stdin_pending.empty())) {
            // Through queue_to_client, which closes the data frame being joined: what comes
            // after this must not be added to a frame before it.
            queue_to_client(client, ExecFrameType::stdin_credit,
                            contract::encode_exec_u32(client.stdin_to_return));
            (void)client.client_stdin.grant(client.stdin_to_return);
            client.stdin_to_return = 0;
        }
        if (client.close_stdin && client.stdin_pending.empty()) {
            send_agent(ExecFrameType::stdin_close, id);
            client.close_stdin = false;
            // Any later stdin is a protocol error: spend the whole credit.
            (void)client.client_stdin.spend(client.client_stdin.available());
        }
    }
};

ExecRelay::ExecRelay() = default;
ExecRelay::ExecRelay(ExecRelay&&) noexcept = default;
ExecRelay& ExecRelay::operator=(ExecRelay&&) noexcept = default;

ExecRelay::~ExecRelay() {
    if (m_state && m_state->thread.joinable()) {
        std::uint64_t const one = 1;
        (void)::write(m_state->stop.get(), &one, sizeof(one));
        m_state->thread.join();
    }
}

Result<ExecRelay> ExecRelay::start(ExecRelaySetup setup) {
    auto state = std::make_unique<State>();
    state->clients_listener = std::move(setup.clients);
    state->agent_listener = std::move(setup.agent);
    state->on_sessions_changed = std::move(setup.on_sessions_changed);
    state->stop = base::Fd(::eventfd(0, EFD_CLOEXEC));
    if (!state->stop) {
        return fail_errno("eventfd");
    }
    State* raw = state.get();
    state->thread = std::thread([raw] { raw->run(); });
    ExecRelay relay;
    relay.m_state = std::move(state);
    return relay;
}

std::size_t ExecRelay::live_sessions() const {
    return m_state ? m_state->live.load() : 0;
}

Result<ExecRelay> serve_exec(std::filesystem::path const& dir, Reporter& reporter) {
    std::string const clients_path = (dir / contract::exec_socket_name).string();
    base::Fd clients = TRY(base::listen_unix(clients_path, 16));
    // The directory is 0700 already; the mode says the same to anyone who looks.
    if (::chmod(clients_path.c_str(), 0600) != 0) {
        return fail_errno("chmod " + clients_path);
    }
    base::Fd agent = TRY(base::listen_unix((dir / exec_agent_socket_name).string()));
    return ExecRelay::start({.clients = std::move(clients),
                             .agent = std::move(agent),
                             .on_sessions_changed = [&reporter](std::size_t n) {
                                 reporter.exec_sessions_changed(n);
                             }});
}

} // namespace microvm::runner
