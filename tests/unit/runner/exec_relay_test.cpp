// The runner's exec relay against a hostile agent. The test plays both ends: exec clients on the
// exec socket, and a stand-in for microvm-init's exec agent on the agent's socket, which sends
// whatever a compromised guest could. Every wait is bounded, so a relay that misbehaves fails a
// test instead of hanging it.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/temp_dir.hpp"
#include "base/unix_socket.hpp"
#include "contract/exec_channel.hpp"
#include "runner/exec_relay.hpp"

#ifdef __SANITIZE_ADDRESS__
// From <sanitizer/allocator_interface.h>, which GCC does not ship: the bytes malloc'd and not
// yet freed.
extern "C" std::size_t __sanitizer_get_current_allocated_bytes();
#endif

namespace microvm::runner {
namespace {

using namespace std::chrono_literals;
using contract::exec_window;
using contract::ExecFrame;
using contract::ExecFrameType;
using contract::max_exec_data_chunk;
using Clock = std::chrono::steady_clock;

// The longest any one wait lasts.
constexpr std::chrono::milliseconds wait_limit = 5s;
// How long without a frame before a peer is taken to have been sent all it will get: the relay
// runs in this process and answers within microseconds.
constexpr std::chrono::milliseconds quiet = 300ms;
// The same where a test goes on to rely on it (that no credit is still on its way), with room
// for a loaded machine.
constexpr std::chrono::milliseconds settled = 1s;

int milliseconds_until(Clock::time_point deadline) {
    auto const left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    return static_cast<int>(std::max<long long>(0, left.count()));
}

// What waiting for the next frame gave.
struct Received {
    enum class Kind { frame, eof, reset, timeout, garbage, error };
    Kind kind = Kind::timeout;
    ExecFrame frame;
    std::string detail;
};

std::string describe(Received const& received) {
    switch (received.kind) {
    case Received::Kind::frame:
        return std::string("a ") + to_string(received.frame.type) + " frame for session " +
               std::to_string(received.frame.session) + " with " +
               std::to_string(received.frame.payload.size()) + " bytes";
    case Received::Kind::eof:
        return "end of stream";
    case Received::Kind::reset:
        return "ECONNRESET";
    case Received::Kind::timeout:
        return "nothing";
    case Received::Kind::garbage:
        return "bytes that do not decode: " + received.detail;
    case Received::Kind::error:
        return "an error: " + received.detail;
    }
    return "?";
}

// One end the test plays: a connected socket and the frames decoded from it.
struct Peer {
    base::Fd socket;
    contract::ExecFrameDecoder decoder;

    Received receive(std::chrono::milliseconds timeout = wait_limit) {
        auto const deadline = Clock::now() + timeout;
        while (true) {
            auto frame = decoder.next();
            if (!frame) {
                return {.kind = Received::Kind::garbage, .detail = frame.error().text()};
            }
            if (*frame) {
                return {.kind = Received::Kind::frame, .frame = std::move(**frame)};
            }
            pollfd ready{.fd = socket.get(), .events = POLLIN, .revents = 0};
            int const polled = ::poll(&ready, 1, milliseconds_until(deadline));
            if (polled < 0 && errno != EINTR) {
                return {.kind = Received::Kind::error, .detail = std::strerror(errno)};
            }
            if (polled == 0) {
                return {.kind = Received::Kind::timeout};
            }
            auto space = decoder.space();
            ssize_t const n = ::recv(socket.get(), space.data(), space.size(), MSG_DONTWAIT);
            if (n == 0) {
                return {.kind = Received::Kind::eof};
            }
            if (n < 0) {
                if (errno == EAGAIN || errno == EINTR) {
                    continue;
                }
                if (errno == ECONNRESET) {
                    return {.kind = Received::Kind::reset};
                }
                return {.kind = Received::Kind::error, .detail = std::strerror(errno)};
            }
            decoder.commit(static_cast<std::size_t>(n));
        }
    }

    // Sends all of `bytes` without ever blocking for longer than wait_limit.
    testing::AssertionResult send_bytes(std::string_view bytes) {
        while (!bytes.empty()) {
            ssize_t const n =
                ::send(socket.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0) {
                bytes.remove_prefix(static_cast<std::size_t>(n));
                continue;
            }
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0 && errno == EAGAIN) {
                pollfd ready{.fd = socket.get(), .events = POLLOUT, .revents = 0};
                if (::poll(&ready, 1, static_cast<int>(wait_limit.count())) == 0) {
                    return testing::AssertionFailure()
                           << "no room to send in " << wait_limit.count() << " ms (" << bytes.size()
                           << " bytes left)";
                }
                continue;
            }
            return testing::AssertionFailure() << "send: " << std::strerror(errno);
        }
        return testing::AssertionSuccess();
    }

    testing::AssertionResult send(ExecFrameType type, std::uint32_t session,
                                  std::string_view payload = {}) {
        std::string frame;
        contract::append_exec_frame(frame, type, session, payload);
        return send_bytes(frame);
    }

    testing::AssertionResult send_u32(ExecFrameType type, std::uint32_t session,
                                      std::uint32_t value) {
        std::string frame;
        contract::append_exec_frame_u32(frame, type, session, value);
        return send_bytes(frame);
    }
};

// Whether the agent's end passes over the output credit the relay grants while waiting.
enum class Credits { keep, skip };

testing::AssertionResult next_frame(Peer& peer, ExecFrame& out, Credits credits = Credits::keep,
                                    std::chrono::milliseconds timeout = wait_limit) {
    while (true) {
        Received received = peer.receive(timeout);
        if (received.kind != Received::Kind::frame) {
            return testing::AssertionFailure() << "expected a frame, got " << describe(received);
        }
        if (credits == Credits::skip && received.frame.type == ExecFrameType::output_credit) {
            continue;
        }
        out = std::move(received.frame);
        return testing::AssertionSuccess();
    }
}

testing::AssertionResult expect_frame(Peer& peer, ExecFrameType type, std::uint32_t session,
                                      ExecFrame& out, Credits credits = Credits::keep) {
    if (auto got = next_frame(peer, out, credits); !got) {
        return got << " (waiting for " << to_string(type) << ")";
    }
    if (out.type != type || out.session != session) {
        Received const received{.kind = Received::Kind::frame, .frame = out};
        auto failure = testing::AssertionFailure()
                       << "expected a " << to_string(type) << " frame for session " << session
                       << ", got " << describe(received);
        if (out.type == ExecFrameType::failed) {
            if (auto decoded = contract::decode_exec_failure(out.payload)) {
                failure << ": " << decoded->message;
            }
        }
        return failure;
    }
    return testing::AssertionSuccess();
}

testing::AssertionResult expect_u32(Peer& peer, ExecFrameType type, std::uint32_t session,
                                    std::uint32_t value, Credits credits = Credits::keep) {
    ExecFrame frame;
    if (auto got = expect_frame(peer, type, session, frame, credits); !got) {
        return got;
    }
    auto const decoded = contract::exec_frame_u32(frame);
    if (!decoded) {
        return testing::AssertionFailure() << decoded.error().text();
    }
    if (*decoded != value) {
        return testing::AssertionFailure()
               << to_string(type) << " carries " << *decoded << ", not " << value;
    }
    return testing::AssertionSuccess();
}

// The next frame is `failed` with status 125 and a message containing `words`.
testing::AssertionResult expect_failed(Peer& peer, std::string_view words) {
    ExecFrame frame;
    if (auto got = expect_frame(peer, ExecFrameType::failed, 0, frame); !got) {
        return got;
    }
    auto const failure = contract::decode_exec_failure(frame.payload);
    if (!failure) {
        return testing::AssertionFailure() << failure.error().text();
    }
    if (failure->status != 125 || failure->message.find(words) == std::string::npos) {
        return testing::AssertionFailure()
               << "failed with status " << failure->status << ": \"" << failure->message
               << "\", expected 125 and \"" << words << "\"";
    }
    return testing::AssertionSuccess();
}

testing::AssertionResult expect_eof(Peer& peer) {
    Received const received = peer.receive();
    if (received.kind != Received::Kind::eof) {
        return testing::AssertionFailure()
               << "expected the end of the stream, got " << describe(received);
    }
    return testing::AssertionSuccess();
}

// The relay closed the agent's connection: frames written before that may come first, and a
// close with bytes of ours still unread shows as ECONNRESET rather than EOF.
testing::AssertionResult expect_dropped(Peer& agent) {
    while (true) {
        Received const received = agent.receive();
        if (received.kind == Received::Kind::eof || received.kind == Received::Kind::reset) {
            return testing::AssertionSuccess();
        }
        if (received.kind != Received::Kind::frame) {
            return testing::AssertionFailure()
                   << "expected the relay to close the agent's channel, got " << describe(received);
        }
    }
}

// Nothing arrives for a while (the peer is neither sent a frame nor closed).
testing::AssertionResult expect_silence(Peer& peer, Credits credits = Credits::keep) {
    while (true) {
        Received const received = peer.receive(quiet);
        if (received.kind == Received::Kind::timeout) {
            return testing::AssertionSuccess();
        }
        if (credits == Credits::skip && received.kind == Received::Kind::frame &&
            received.frame.type == ExecFrameType::output_credit) {
            continue;
        }
        return testing::AssertionFailure() << "expected nothing, got " << describe(received);
    }
}

contract::ExecRequest request_named(std::string const& name) {
    return {.argv = {"/bin/sh", "-c", "echo " + name}, .env = {"WHO=" + name}};
}

// The memory this process holds, in KiB; the relay's thread runs in it. That is its resident set
// (VmRSS), except under AddressSanitizer: its quarantine keeps every freed block mapped for a
// while, so a flood of frames that were each freed at once still grows the resident set (by
// some 12 MiB over the flood below). There it is what the heap has allocated and not freed.
std::size_t held_kib() {
#ifdef __SANITIZE_ADDRESS__
    return __sanitizer_get_current_allocated_bytes() / 1024;
#else
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.starts_with("VmRSS:")) {
            return std::stoul(line.substr(6));
        }
    }
    ADD_FAILURE() << "no VmRSS in /proc/self/status";
    return 0;
#endif
}

class ExecRelayTest : public testing::Test {
protected:
    void SetUp() override {
        auto dir = base::TempDir::create("microvm-exec-relay-test-");
        ASSERT_TRUE(dir) << dir.error().text();
        m_dir.emplace(std::move(*dir));
        m_exec_path = (m_dir->path() / contract::exec_socket_name).string();
        m_agent_path = (m_dir->path() / exec_agent_socket_name).string();
        auto relay = serve_exec(m_dir->path(), m_reporter);
        ASSERT_TRUE(relay) << relay.error().text();
        m_relay.emplace(std::move(*relay));
    }

    Peer connect(std::string const& path) {
        auto socket = base::connect_unix(path, wait_limit);
        if (!socket) {
            ADD_FAILURE() << socket.error().text();
            return {};
        }
        return Peer{.socket = std::move(*socket)};
    }
    Peer connect_client() { return connect(m_exec_path); }
    Peer connect_agent() { return connect(m_agent_path); }

    // The client opens a session and the agent receives it: `session` is its number on the
    // agent's hop.
    testing::AssertionResult
    open_session(Peer& client, Peer& agent, std::uint32_t& session,
                 contract::ExecRequest const& request = request_named("test")) {
        std::string const payload = contract::encode_exec_request(request);
        if (auto sent = client.send(ExecFrameType::open, 0, payload); !sent) {
            return sent;
        }
        ExecFrame frame;
        if (auto got = next_frame(agent, frame, Credits::skip); !got) {
            return got << " (waiting for the open frame)";
        }
        if (frame.type != ExecFrameType::open || frame.session == 0 || frame.payload != payload) {
            return testing::AssertionFailure()
                   << "the agent got a " << to_string(frame.type) << " frame for session "
                   << frame.session << " with \"" << frame.payload << "\" for an open of \""
                   << payload << "\"";
        }
        session = frame.session;
        return testing::AssertionSuccess();
    }

    // The agent runs `session` to its end: the client gets started, its output and exit status,
    // then the end of the stream.
    testing::AssertionResult runs_to_exit(Peer& client, Peer& agent, std::uint32_t session) {
        std::string frames;
        contract::append_exec_frame_u32(frames, ExecFrameType::started, session, 4242);
        contract::append_exec_frame(frames, ExecFrameType::stdout_data, session, "hi");
        contract::append_exec_frame_u32(frames, ExecFrameType::exited, session, 42);
        if (auto sent = agent.send_bytes(frames); !sent) {
            return sent;
        }
        if (auto got = expect_u32(client, ExecFrameType::started, 0, 4242); !got) {
            return got;
        }
        ExecFrame output;
        if (auto got = expect_frame(client, ExecFrameType::stdout_data, 0, output); !got) {
            return got;
        }
        if (output.payload != "hi") {
            return testing::AssertionFailure() << "stdout \"" << output.payload << "\"";
        }
        if (auto got = expect_u32(client, ExecFrameType::exited, 0, 42); !got) {
            return got;
        }
        return expect_eof(client);
    }

    // A fresh client is served start to end over `agent`.
    testing::AssertionResult serves_a_session(Peer& agent) {
        Peer client = connect_client();
        std::uint32_t session = 0;
        if (auto opened = open_session(client, agent, session, request_named("fresh")); !opened) {
            return opened;
        }
        return runs_to_exit(client, agent, session);
    }

    testing::AssertionResult wait_for_live_sessions(std::size_t count) {
        auto const deadline = Clock::now() + wait_limit;
        while (m_relay->live_sessions() != count) {
            if (Clock::now() > deadline) {
                return testing::AssertionFailure()
                       << m_relay->live_sessions() << " live sessions, not " << count;
            }
            std::this_thread::sleep_for(5ms);
        }
        return testing::AssertionSuccess();
    }

    std::optional<base::TempDir> m_dir;
    std::string m_exec_path;
    std::string m_agent_path;
    // Last: it stops before the directory goes.
    // No report path: the count is written nowhere. Declared before the relay, which uses it.
    Reporter m_reporter{"", contract::Engine::qemu};
    std::optional<ExecRelay> m_relay;
};

// The agent sends stdout for `session` as fast as the relay grants credit, until the credit is
// spent and no more comes: the client does not read, so the relay holds all it will. `sent` is
// every byte sent, in order.
testing::AssertionResult fill_output_window(Peer& agent, std::uint32_t session, std::string& sent) {
    std::uint64_t credit = exec_window;
    std::size_t chunks = 0;
    while (true) {
        std::chrono::milliseconds wait = settled;
        if (credit > 0) {
            std::size_t const size = std::min<std::uint64_t>(credit, max_exec_data_chunk);
            std::string const data(size, static_cast<char>('a' + chunks++ % 26));
            if (auto ok = agent.send(ExecFrameType::stdout_data, session, data); !ok) {
                return ok;
            }
            credit -= size;
            sent += data;
            wait = 0ms;
        }
        if (sent.size() > 16 * exec_window) {
            return testing::AssertionFailure()
                   << "the relay granted " << sent.size()
                   << " bytes of output credit to a client that does not read";
        }
        Received const received = agent.receive(wait);
        if (received.kind == Received::Kind::timeout) {
            if (wait == settled) {
                return testing::AssertionSuccess();
            }
            continue;
        }
        if (received.kind != Received::Kind::frame ||
            received.frame.type != ExecFrameType::output_credit ||
            received.frame.session != session) {
            return testing::AssertionFailure()
                   << "expected output credit, got " << describe(received);
        }
        auto const grant = contract::exec_frame_u32(received.frame);
        if (!grant) {
            return testing::AssertionFailure() << grant.error().text();
        }
        credit += *grant;
        if (credit > exec_window) {
            return testing::AssertionFailure()
                   << "the relay granted credit beyond the window: " << credit;
        }
    }
}

// Reads stdout frames until `bytes` have come.
testing::AssertionResult read_output(Peer& client, std::size_t bytes, std::string& out) {
    while (out.size() < bytes) {
        ExecFrame frame;
        if (auto got = expect_frame(client, ExecFrameType::stdout_data, 0, frame); !got) {
            return got << " after " << out.size() << " of " << bytes << " bytes";
        }
        out += frame.payload;
    }
    if (out.size() != bytes) {
        return testing::AssertionFailure() << out.size() << " bytes of stdout, not " << bytes;
    }
    return testing::AssertionSuccess();
}

TEST_F(ExecRelayTest, RelaysASessionBetweenClientAndAgent) {
    Peer agent = connect_agent();
    Peer client = connect_client();
    contract::ExecRequest const request{.argv = {"/bin/echo", "hi"},
                                        .env = {"A=1"},
                                        .cwd = "/tmp",
                                        .user = "1000:1000",
                                        .stdin_open = true};
    std::string const payload = contract::encode_exec_request(request);
    ASSERT_TRUE(client.send(ExecFrameType::open, 0, payload));

    ExecFrame open;
    ASSERT_TRUE(next_frame(agent, open));
    EXPECT_EQ(open.type, ExecFrameType::open);
    EXPECT_NE(open.session, 0u);
    EXPECT_EQ(open.payload, payload);
    EXPECT_TRUE(wait_for_live_sessions(1));

    std::string frames;
    contract::append_exec_frame_u32(frames, ExecFrameType::started, open.session, 77);
    contract::append_exec_frame(frames, ExecFrameType::stdout_data, open.session, "hi");
    contract::append_exec_frame_u32(frames, ExecFrameType::exited, open.session, 42);
    ASSERT_TRUE(agent.send_bytes(frames));

    EXPECT_TRUE(expect_u32(client, ExecFrameType::started, 0, 77));
    ExecFrame output;
    ASSERT_TRUE(expect_frame(client, ExecFrameType::stdout_data, 0, output));
    EXPECT_EQ(output.payload, "hi");
    EXPECT_TRUE(expect_u32(client, ExecFrameType::exited, 0, 42));
    EXPECT_TRUE(expect_eof(client));
    EXPECT_TRUE(wait_for_live_sessions(0));
    // The session ended at the agent's word: no hangup goes back for it.
    EXPECT_TRUE(expect_silence(agent, Credits::skip));
}

// Out of descriptors, the relay cannot accept the client waiting on its listener, which stays
// readable: it pauses accepting instead of spinning on it, and serves the client once
// descriptors are free again.
TEST_F(ExecRelayTest, OutOfDescriptorsPausesAcceptingAndThenServesTheWaitingClient) {
    Peer agent = connect_agent();
    std::this_thread::sleep_for(settled); // the relay has accepted the agent
    // The client's socket exists before descriptors run out; it connects after, so that the
    // relay cannot accept it.
    base::Fd socket(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    ASSERT_TRUE(socket);
    rlimit saved{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
    int const lowest_free = ::dup(0);
    ASSERT_GE(lowest_free, 0);
    ::close(lowest_free);
    rlimit const exhausted{.rlim_cur = static_cast<rlim_t>(lowest_free),
                           .rlim_max = saved.rlim_max};
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &exhausted), 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, m_exec_path.c_str(), sizeof address.sun_path - 1);
    int const connected =
        ::connect(socket.get(), reinterpret_cast<sockaddr*>(&address), sizeof address);
    int const connect_errno = errno;
    rusage before{};
    ::getrusage(RUSAGE_SELF, &before);
    std::this_thread::sleep_for(500ms);
    rusage after{};
    ::getrusage(RUSAGE_SELF, &after);
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &saved), 0);
    ASSERT_EQ(connected, 0) << std::strerror(connect_errno);
    Peer client{.socket = std::move(socket)};
    auto const cpu = [](rusage const& usage) {
        return std::chrono::seconds(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
               std::chrono::microseconds(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
    };
    // A relay spinning on accept() would have burnt most of the half second.
    EXPECT_LT(cpu(after) - cpu(before), 250ms);

    std::string const payload = contract::encode_exec_request({.argv = {"/bin/true"}});
    ASSERT_TRUE(client.send(ExecFrameType::open, 0, payload));
    ExecFrame open;
    ASSERT_TRUE(next_frame(agent, open));
    EXPECT_EQ(open.type, ExecFrameType::open);
    EXPECT_EQ(open.payload, payload);
}

TEST_F(ExecRelayTest, AClientThatLeavesHangsUpItsSession) {
    Peer agent = connect_agent();
    Peer client = connect_client();
    std::uint32_t session = 0;
    ASSERT_TRUE(open_session(client, agent, session));
    ASSERT_TRUE(agent.send_u32(ExecFrameType::started, session, 9));
    ASSERT_TRUE(expect_u32(client, ExecFrameType::started, 0, 9));
    client.socket.reset();

    ExecFrame hangup;
    EXPECT_TRUE(expect_frame(agent, ExecFrameType::hangup, session, hangup, Credits::skip));
    EXPECT_TRUE(wait_for_live_sessions(0));
    // What the agent still sends for it crossed the hangup and is dropped.
    ASSERT_TRUE(agent.send(ExecFrameType::stdout_data, session, "late"));
    ASSERT_TRUE(agent.send_u32(ExecFrameType::exited, session, 129));
    EXPECT_TRUE(serves_a_session(agent));
}

TEST_F(ExecRelayTest, ASecondGuestConnectionCannotTakeTheChannelOver) {
    Peer agent = connect_agent();
    Peer client = connect_client();
    std::uint32_t session = 0;
    ASSERT_TRUE(open_session(client, agent, session));

    // Another guest process reaching the agent's socket (any process can reach libkrun's
    // vsock port) is turned away, and the agent's sessions go on.
    Peer intruder = connect_agent();
    EXPECT_TRUE(expect_dropped(intruder));
    ASSERT_TRUE(agent.send_u32(ExecFrameType::started, session, 1));
    ASSERT_TRUE(agent.send_u32(ExecFrameType::exited, session, 5));
    EXPECT_TRUE(expect_u32(client, ExecFrameType::started, 0, 1));
    EXPECT_TRUE(expect_u32(client, ExecFrameType::exited, 0, 5));
    EXPECT_TRUE(serves_a_session(agent));
}

TEST_F(ExecRelayTest, TinyFramesJoinAndEmptyOnesEndTheSession) {
    Peer agent = connect_agent();
    Peer client = connect_client();
    std::uint32_t session = 0;
    ASSERT_TRUE(open_session(client, agent, session));
    ASSERT_TRUE(agent.send_u32(ExecFrameType::started, session, 1));
    ASSERT_TRUE(expect_u32(client, ExecFrameType::started, 0, 1));
    // The client does not read: a window of one-byte frames costs the relay about the window,
    // not a header per byte.
    long const before = static_cast<long>(held_kib());
    for (std::uint32_t i = 0; i < exec_window; ++i) {
        ASSERT_TRUE(agent.send(ExecFrameType::stdout_data, session, "x"));
    }
    ASSERT_TRUE(serves_a_session(agent)); // the relay has read the flood by now
    long const grown = static_cast<long>(held_kib()) - before;
    EXPECT_LT(grown, 2 * 1024) << grown << " KiB for 256 KiB of one-byte frames";
    ASSERT_TRUE(agent.send(ExecFrameType::stdout_data, session, ""));
    ExecFrame hangup;
    EXPECT_TRUE(expect_frame(agent, ExecFrameType::hangup, session, hangup));
}

TEST_F(ExecRelayTest, FramesQueuedBetweenJoinedOutputKeepTheStreamInStep) {
    Peer agent = connect_agent();
    Peer client = connect_client();
    std::uint32_t session = 0;
    ASSERT_TRUE(open_session(client, agent, session));
    ASSERT_TRUE(agent.send_u32(ExecFrameType::started, session, 1));
    // Output the client does not read yet: what its socket does not take stays queued, the
    // last frame open for joining.
    std::string sent;
    for (int i = 0; sent.size() + 1024 <= exec_window - 8 * 1024; ++i) {
        std::string const piece(1024, static_cast<char>('a' + i % 26));
        ASSERT_TRUE(agent.send(ExecFrameType::stdout_data, session, piece));
        sent += piece;
    }
    // Stdin from the client makes the relay queue a stdin credit behind that output...
    ASSERT_TRUE(client.send(ExecFrameType::stdin_data, 0, "typed"));
    ExecFrame stdin_frame;
    ASSERT_TRUE(
        expect_frame(agent, ExecFrameType::stdin_data, session, stdin_frame, Credits::skip));
    // ...and output after it must come after it, not inside the frame before it.
    for (char c : std::string("XYZ")) {
        ASSERT_TRUE(agent.send(ExecFrameType::stdout_data, session, std::string(1, c)));
        sent += c;
    }
    ASSERT_TRUE(agent.send_u32(ExecFrameType::exited, session, 0));
    ASSERT_TRUE(expect_u32(client, ExecFrameType::started, 0, 1));
    std::string received;
    std::uint32_t credit = 0;
    while (true) {
        ExecFrame frame;
        ASSERT_TRUE(next_frame(client, frame)) << "after " << received.size() << " bytes";
        if (frame.type == ExecFrameType::stdout_data) {
            received += frame.payload;
        } else if (frame.type == ExecFrameType::stdin_credit) {
            credit += contract::exec_frame_u32(frame).value();
        } else {
            ASSERT_EQ(frame.type, ExecFrameType::exited);
            break;
        }
    }
    EXPECT_TRUE(received == sent) << "stdout arrived altered or out of order";
    EXPECT_EQ(credit, 5u);
}

TEST_F(ExecRelayTest, GrantsOutputCreditOnlyAsTheClientReads) {
    Peer agent = connect_agent();
    Peer client = connect_client();
    std::uint32_t session = 0;
    ASSERT_TRUE(open_session(client, agent, session));
    ASSERT_TRUE(agent.send_u32(ExecFrameType::started, session, 1));

    std::string sent;
    ASSERT_TRUE(fill_output_window(agent, session, sent));
    // The initial window, and what the client's socket buffer took on top.
    EXPECT_GE(sent.size(), exec_window);

    // The client reads everything, in order.
    ASSERT_TRUE(expect_u32(client, ExecFrameType::started, 0, 1));
    std::string received;
    ASSERT_TRUE(read_output(client, sent.size(), received));
    EXPECT_TRUE(received == sent) << "stdout arrived altered or out of order";

    // Now the relay has passed it all on, it gives the agent its whole window back.
    std::uint64_t granted = 0;
    auto const deadline = Clock::now() + wait_limit;
    while (granted < exec_window && Clock::now() < deadline) {
        ExecFrame credit;
        ASSERT_TRUE(expect_frame(agent, ExecFrameType::output_credit, session, credit));
        auto const grant = contract::exec_frame_u32(credit);
        ASSERT_TRUE(grant) << grant.error().text();
        granted += *grant;
    }
    EXPECT_EQ(granted, exec_window);
    EXPECT_TRUE(expect_silence(agent));

    ASSERT_TRUE(agent.send_u32(ExecFrameType::exited, session, 0));
    EXPECT_TRUE(expect_u32(client, ExecFrameType::exited, 0, 0));
    EXPECT_TRUE(expect_eof(client));
}

TEST_F(ExecRelayTest, OutputBeyondTheCreditEndsOnlyThatSession) {
    Peer agent = connect_agent();
    Peer client = connect_client();
    std::uint32_t session = 0;
    ASSERT_TRUE(open_session(client, agent, session));
    Peer bystander = connect_client();
    std::uint32_t bystander_session = 0;
    ASSERT_TRUE(open_session(bystander, agent, bystander_session));

    std::string sent;
    ASSERT_TRUE(fill_output_window(agent, session, sent));
    // Up to the credit is fine; one byte more is the guest breaking the protocol.
    ASSERT_TRUE(agent.send(ExecFrameType::stdout_data, session, "!"));

    ExecFrame hangup;
    ASSERT_TRUE(expect_frame(agent, ExecFrameType::hangup, session, hangup, Credits::skip));
    EXPECT_TRUE(hangup.payload.empty());

    // The client gets all the output within the credit, not the byte beyond, then the failure.
    std::string received;
    ASSERT_TRUE(read_output(client, sent.size(), received));
    EXPECT_TRUE(received == sent) << "stdout arrived altered or out of order";
    EXPECT_TRUE(expect_failed(client, "protocol"));
    EXPECT_TRUE(expect_eof(client));

    // The channel and the other session carry on.
    EXPECT_TRUE(runs_to_exit(bystander, agent, bystander_session));
    EXPECT_TRUE(serves_a_session(agent));
}

TEST_F(ExecRelayTest, AnOversizedLengthDropsTheChannelAndANewAgentIsServed) {
    Peer agent = connect_agent();
    Peer first = connect_client();
    Peer second = connect_client();
    std::uint32_t session = 0;
    std::uint32_t second_session = 0;
    ASSERT_TRUE(open_session(first, agent, session));
    ASSERT_TRUE(open_session(second, agent, second_session));

    std::string header;
    contract::append_exec_frame(header, ExecFrameType::stdout_data, session);
    std::fill_n(header.begin(), 4, '\xff'); // a length of 0xFFFFFFFF
    ASSERT_TRUE(agent.send_bytes(header));

    EXPECT_TRUE(expect_dropped(agent));
    EXPECT_TRUE(expect_failed(first, "exec channel closed"));
    EXPECT_TRUE(expect_eof(first));
    EXPECT_TRUE(expect_failed(second, "exec channel closed"));
    EXPECT_TRUE(expect_eof(second));
    EXPECT_TRUE(wait_for_live_sessions(0));

    // The VM's agent connects again and exec works as before.
    Peer again = connect_agent();
    EXPECT_TRUE(serves_a_session(again));
}

TEST_F(ExecRelayTest, GarbageDropsTheChannelAndANewAgentIsServed) {
    struct Case {
        std::string name;
        std::string bytes; // session 1 is the open session in every case
    };
    std::vector<Case> cases;
    auto frame = [](ExecFrameType type, std::string_view payload) {
        std::string out;
        contract::append_exec_frame(out, type, 1, payload);
        return out;
    };
    {
        std::mt19937 random(20260801);
        std::string bytes(4096, '\0');
        std::ranges::generate(bytes, [&] { return static_cast<char>(random() & 0xff); });
        contract::ExecFrameDecoder check;
        std::ranges::copy(bytes, check.space().begin());
        check.commit(bytes.size());
        ASSERT_FALSE(check.next()) << "the random bytes happen to decode; pick another seed";
        cases.push_back({"random bytes", bytes});
    }
    for (int type : {0, 8, 15, 22, 255}) {
        std::string bytes = frame(ExecFrameType::stdout_data, "oops");
        bytes[4] = static_cast<char>(type);
        cases.push_back({"unknown type " + std::to_string(type), bytes});
    }
    for (int reserved = 5; reserved <= 7; ++reserved) {
        std::string bytes = frame(ExecFrameType::stdout_data, "oops");
        bytes[static_cast<std::size_t>(reserved)] = 1;
        cases.push_back({"nonzero reserved byte " + std::to_string(reserved), bytes});
    }
    {
        // One byte over the payload limit; the payload itself never comes.
        std::string bytes = frame(ExecFrameType::stdout_data, "");
        std::uint32_t const length = contract::max_exec_frame_payload + 1;
        for (int i = 0; i < 4; ++i) {
            bytes[static_cast<std::size_t>(i)] = static_cast<char>((length >> (8 * i)) & 0xff);
        }
        cases.push_back({"a payload of max_exec_frame_payload + 1", bytes});
    }
    {
        // A good frame, then garbage in the same write.
        std::string bytes = frame(ExecFrameType::stdout_data, "fine");
        bytes += std::string(16, '\x7f');
        cases.push_back({"garbage after a good frame", bytes});
    }

    for (auto const& garbage : cases) {
        SCOPED_TRACE(garbage.name);
        Peer agent = connect_agent();
        Peer client = connect_client();
        std::uint32_t session = 0;
        ASSERT_TRUE(open_session(client, agent, session));
        std::string bytes = garbage.bytes;
        if (bytes.size() >= contract::exec_frame_header_size && garbage.name != "random bytes") {
            // Aim the frame at the open session.
            for (int i = 0; i < 4; ++i) {
                bytes[8 + static_cast<std::size_t>(i)] =
                    static_cast<char>((session >> (8 * i)) & 0xff);
            }
        }
        ASSERT_TRUE(agent.send_bytes(bytes));
        EXPECT_TRUE(expect_dropped(agent));
        if (garbage.name == "garbage after a good frame") {
            ExecFrame output;
            ASSERT_TRUE(expect_frame(client, ExecFrameType::stdout_data, 0, output));
            EXPECT_EQ(output.payload, "fine");
        }
        EXPECT_TRUE(expect_failed(client, "exec channel closed"));
        EXPECT_TRUE(expect_eof(client));
        ASSERT_TRUE(wait_for_live_sessions(0));
    }
    Peer agent = connect_agent();
    EXPECT_TRUE(serves_a_session(agent));
}

TEST_F(ExecRelayTest, FramesForSessionsNotOpenAreIgnored) {
    Peer agent = connect_agent();
    Peer client = connect_client();
    std::uint32_t session = 0;
    ASSERT_TRUE(open_session(client, agent, session));
    // Connected, but it has not sent its open frame yet.
    Peer unopened = connect_client();
    ASSERT_TRUE(wait_for_live_sessions(2));
    // The relay numbers sessions in order; the test needs to know the unopened one's number.
    std::uint32_t const unopened_session = session + 1;

    std::string frames;
    contract::append_exec_frame(frames, ExecFrameType::stdout_data, 999, "not yours");
    contract::append_exec_frame(frames, ExecFrameType::stdout_data, 999,
                                std::string(contract::max_exec_frame_payload, 'x'));
    contract::append_exec_frame(frames, ExecFrameType::stderr_data, 0, "session zero");
    contract::append_exec_frame_u32(frames, ExecFrameType::exited, 999, 3);
    contract::append_exec_frame_u32(frames, ExecFrameType::stdin_credit, 999, 100);
    contract::append_exec_frame(frames, ExecFrameType::failed, 123456,
                                contract::encode_exec_failure({.status = 1, .message = "no"}));
    contract::append_exec_frame_u32(frames, ExecFrameType::started, unopened_session, 5);
    contract::append_exec_frame(frames, ExecFrameType::stdout_data, unopened_session, "early");
    contract::append_exec_frame_u32(frames, ExecFrameType::exited, unopened_session, 9);
    contract::append_exec_frame_u32(frames, ExecFrameType::exited, 0xffffffff, 1);
    ASSERT_TRUE(agent.send_bytes(frames));

    // The open session is untouched: exactly its own frames, then its end.
    EXPECT_TRUE(runs_to_exit(client, agent, session));

    // The frames sent to the unopened session before it opened did not count: its first
    // started is accepted, and its output and status are its own.
    std::uint32_t opened = 0;
    ASSERT_TRUE(open_session(unopened, agent, opened));
    ASSERT_EQ(opened, unopened_session) << "precondition: sessions are numbered in order";
    EXPECT_TRUE(runs_to_exit(unopened, agent, opened));
    // Nor did they end the channel.
    EXPECT_TRUE(serves_a_session(agent));
}

TEST_F(ExecRelayTest, AClientFrameFromTheAgentDropsTheChannel) {
    struct Case {
        ExecFrameType type;
        std::string payload;
        bool unknown_session = false;
    };
    std::string u32(4, '\0');
    u32[0] = 15;
    std::vector<Case> const cases = {
        {ExecFrameType::open, contract::encode_exec_request(request_named("guest"))},
        {ExecFrameType::open, contract::encode_exec_request(request_named("guest")), true},
        {ExecFrameType::stdin_data, "input"},
        {ExecFrameType::stdin_close, ""},
        {ExecFrameType::signal, u32},
        {ExecFrameType::resize, contract::encode_window_size({.rows = 24, .cols = 80})},
        {ExecFrameType::output_credit, u32},
        {ExecFrameType::hangup, ""},
    };
    for (auto const& bad : cases) {
        SCOPED_TRACE(std::string(to_string(bad.type)) +
                     (bad.unknown_session ? " for an unknown session" : ""));
        Peer agent = connect_agent();
        Peer client = connect_client();
        std::uint32_t session = 0;
        ASSERT_TRUE(open_session(client, agent, session));
        ASSERT_TRUE(agent.send(bad.type, bad.unknown_session ? 999 : session, bad.payload));
        EXPECT_TRUE(expect_dropped(agent));
        EXPECT_TRUE(expect_failed(client, "exec channel closed"));
        EXPECT_TRUE(expect_eof(client));
        ASSERT_TRUE(wait_for_live_sessions(0));
    }
    Peer agent = connect_agent();
    EXPECT_TRUE(serves_a_session(agent));
}

TEST_F(ExecRelayTest, AFloodFromTheAgentCostsBoundedMemory) {
    Peer agent = connect_agent();
    // Never reads until the end.
    Peer stalled = connect_client();
    std::uint32_t session = 0;
    ASSERT_TRUE(open_session(stalled, agent, session));
    // Tells when the relay has read everything the agent sent before a marker.
    Peer witness = connect_client();
    std::uint32_t witness_session = 0;
    ASSERT_TRUE(open_session(witness, agent, witness_session));

    // Built before the first measurement: the test's buffers are not the relay's.
    std::string const payload(max_exec_data_chunk, 'f');
    std::string past_credit; // 1 MiB of output for the stalled session
    std::string not_open;    // 1 MiB for the stalled (soon ended) session and unknown ones
    for (std::uint32_t i = 0; i < 32; ++i) {
        contract::append_exec_frame(past_credit, ExecFrameType::stdout_data, session, payload);
        contract::append_exec_frame(not_open, ExecFrameType::stdout_data,
                                    i % 2 == 0 ? session : 1000 + i, payload);
    }
    std::size_t const before_kib = held_kib();

    // The agent ignores its credit; the relay ends the session once it runs out.
    for (int i = 0; i < 4; ++i) {
        ASSERT_TRUE(agent.send_bytes(past_credit));
    }
    std::size_t const flood_mib = 64;
    for (std::size_t i = 0; i < flood_mib; ++i) {
        ASSERT_TRUE(agent.send_bytes(not_open)) << "after " << i << " MiB";
    }
    ASSERT_TRUE(agent.send(ExecFrameType::stdout_data, witness_session, "marker"));
    ExecFrame marker;
    ASSERT_TRUE(expect_frame(witness, ExecFrameType::stdout_data, 0, marker));
    EXPECT_EQ(marker.payload, "marker");
    std::size_t const after_kib = held_kib();
    EXPECT_LT(after_kib, before_kib + 4 * 1024)
        << "the relay's process grew from " << before_kib << " KiB to " << after_kib
        << " KiB over a flood of " << flood_mib + 4 << " MiB";

    // The agent was granted credit only as the stalled client's socket took output, and was
    // told the session is over.
    std::uint64_t granted = 0;
    while (true) {
        ExecFrame frame;
        ASSERT_TRUE(next_frame(agent, frame));
        if (frame.type == ExecFrameType::hangup && frame.session == session) {
            break;
        }
        ASSERT_EQ(frame.type, ExecFrameType::output_credit);
        if (frame.session == session) {
            auto const grant = contract::exec_frame_u32(frame);
            ASSERT_TRUE(grant) << grant.error().text();
            granted += *grant;
        }
    }
    // Then only the witness's credit for the marker: none for the ended session.
    while (true) {
        Received const received = agent.receive(quiet);
        if (received.kind == Received::Kind::timeout) {
            break;
        }
        ASSERT_EQ(received.kind, Received::Kind::frame) << describe(received);
        EXPECT_EQ(received.frame.type, ExecFrameType::output_credit) << describe(received);
        EXPECT_EQ(received.frame.session, witness_session) << describe(received);
    }

    // The stalled client reads at last: what its credit covered, then why the session ended.
    std::size_t output = 0;
    while (true) {
        ExecFrame frame;
        ASSERT_TRUE(next_frame(stalled, frame)) << "after " << output << " bytes";
        if (frame.type != ExecFrameType::stdout_data) {
            ASSERT_EQ(frame.type, ExecFrameType::failed);
            auto const failure = contract::decode_exec_failure(frame.payload);
            ASSERT_TRUE(failure) << failure.error().text();
            EXPECT_EQ(failure->status, 125u);
            EXPECT_NE(failure->message.find("protocol"), std::string::npos) << failure->message;
            break;
        }
        output += frame.payload.size();
    }
    EXPECT_GE(output, exec_window);
    EXPECT_LE(output, exec_window + granted);
    EXPECT_TRUE(expect_eof(stalled));

    // The witness's session and the channel are still good.
    ASSERT_TRUE(agent.send_u32(ExecFrameType::exited, witness_session, 0));
    EXPECT_TRUE(expect_u32(witness, ExecFrameType::exited, 0, 0));
    EXPECT_TRUE(expect_eof(witness));
    EXPECT_TRUE(serves_a_session(agent));
}

TEST_F(ExecRelayTest, RefusesASessionBeyondTheLimit) {
    Peer agent = connect_agent();
    std::vector<Peer> clients;
    std::map<std::string, std::size_t> client_of_payload;
    for (std::size_t i = 0; i < contract::max_exec_sessions; ++i) {
        clients.push_back(connect_client());
        std::string const payload =
            contract::encode_exec_request(request_named("client " + std::to_string(i)));
        client_of_payload[payload] = i;
        ASSERT_TRUE(clients.back().send(ExecFrameType::open, 0, payload)) << "client " << i;
    }
    std::map<std::size_t, std::uint32_t> session_of_client;
    std::set<std::uint32_t> sessions;
    for (std::size_t i = 0; i < contract::max_exec_sessions; ++i) {
        ExecFrame open;
        ASSERT_TRUE(next_frame(agent, open)) << "open " << i;
        ASSERT_EQ(open.type, ExecFrameType::open);
        ASSERT_TRUE(client_of_payload.contains(open.payload)) << open.payload;
        EXPECT_NE(open.session, 0u);
        sessions.insert(open.session);
        session_of_client[client_of_payload[open.payload]] = open.session;
    }
    EXPECT_EQ(sessions.size(), contract::max_exec_sessions);
    ASSERT_TRUE(wait_for_live_sessions(contract::max_exec_sessions));

    Peer extra = connect_client();
    // The relay may have refused it already; whether this send succeeds does not matter.
    (void)extra.send(ExecFrameType::open, 0,
                     contract::encode_exec_request(request_named("one too many")));
    EXPECT_TRUE(
        expect_failed(extra, std::to_string(contract::max_exec_sessions) + " exec sessions"));
    // Closed without reading its open frame: EOF, or ECONNRESET for the unread bytes.
    Received const end = extra.receive();
    EXPECT_TRUE(end.kind == Received::Kind::eof || end.kind == Received::Kind::reset)
        << describe(end);
    EXPECT_TRUE(expect_silence(agent)) << "the refused client's open reached the agent";

    // A session that ends makes room for another.
    ASSERT_TRUE(agent.send_u32(ExecFrameType::exited, session_of_client[0], 0));
    EXPECT_TRUE(expect_u32(clients[0], ExecFrameType::exited, 0, 0));
    EXPECT_TRUE(expect_eof(clients[0]));
    ASSERT_TRUE(wait_for_live_sessions(contract::max_exec_sessions - 1));
    EXPECT_TRUE(serves_a_session(agent));
}

TEST_F(ExecRelayTest, StdinBeyondTheCreditEndsTheSession) {
    Peer agent = connect_agent();
    Peer client = connect_client();
    std::uint32_t session = 0;
    contract::ExecRequest request = request_named("cat");
    request.stdin_open = true;
    ASSERT_TRUE(open_session(client, agent, session, request));

    // The client sends all the stdin its credit allows. The agent grants none beyond the
    // initial window, so the relay passes that on, returns it to the client, and then holds
    // the rest.
    std::uint64_t credit = exec_window;
    std::string sent;
    std::size_t chunks = 0;
    while (true) {
        std::chrono::milliseconds wait = settled;
        if (credit > 0) {
            std::size_t const size = std::min<std::uint64_t>(credit, max_exec_data_chunk);
            std::string const data(size, static_cast<char>('A' + chunks++ % 26));
            ASSERT_TRUE(client.send(ExecFrameType::stdin_data, 0, data));
            credit -= size;
            sent += data;
            wait = 0ms;
        }
        ASSERT_LE(sent.size(), 2 * exec_window) << "the relay returned stdin credit it "
                                                   "could not pass on";
        Received const received = client.receive(wait);
        if (received.kind == Received::Kind::timeout) {
            if (wait == settled) {
                break;
            }
            continue;
        }
        ASSERT_EQ(received.kind, Received::Kind::frame) << describe(received);
        ASSERT_EQ(received.frame.type, ExecFrameType::stdin_credit) << describe(received);
        auto const grant = contract::exec_frame_u32(received.frame);
        ASSERT_TRUE(grant) << grant.error().text();
        credit += *grant;
        ASSERT_LE(credit, exec_window);
    }
    EXPECT_GT(sent.size(), exec_window);

    // The agent got exactly its window of stdin, in order.
    std::string delivered;
    while (delivered.size() < exec_window) {
        ExecFrame frame;
        ASSERT_TRUE(expect_frame(agent, ExecFrameType::stdin_data, session, frame))
            << "after " << delivered.size() << " bytes";
        ASSERT_LE(frame.payload.size(), max_exec_data_chunk);
        delivered += frame.payload;
    }
    EXPECT_EQ(delivered.size(), exec_window);
    EXPECT_TRUE(delivered == sent.substr(0, exec_window));
    EXPECT_TRUE(expect_silence(agent));

    // One byte beyond the credit.
    ASSERT_TRUE(client.send(ExecFrameType::stdin_data, 0, "!"));
    EXPECT_TRUE(expect_failed(client, "credit"));
    EXPECT_TRUE(expect_eof(client));
    ExecFrame hangup;
    EXPECT_TRUE(expect_frame(agent, ExecFrameType::hangup, session, hangup));
    EXPECT_TRUE(wait_for_live_sessions(0));
    EXPECT_TRUE(serves_a_session(agent));
}

} // namespace
} // namespace microvm::runner
