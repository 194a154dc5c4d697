// The exec agent against a test playing the runner, over a socket pair: the agent runs in a
// forked child of the test (it blocks SIGCHLD and reaps its children), its sessions are real
// processes on this machine.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include "base/temp_dir.hpp"
#include "contract/exec_channel.hpp"
#include "guest/exec_agent.hpp"
#include "support/test_support.hpp"

namespace microvm::guest {
namespace {

using namespace std::chrono_literals;
using contract::ExecFrame;
using contract::ExecFrameType;

class ExecAgentTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto dir = base::TempDir::create("/tmp", "exec-agent-");
        ASSERT_TRUE(dir);
        m_root.emplace(std::move(*dir));
        std::filesystem::create_directories(m_root->path() / "etc");
        test::write_file(m_root->path() / "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
                                                        "me:x:" +
                                                            std::to_string(::getuid()) + ":" +
                                                            std::to_string(::getgid()) +
                                                            "::/home/me:/bin/sh\n");
        test::write_file(m_root->path() / "etc/group", "root:x:0:\n");
        int pair[2];
        ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
        m_agent = ::fork();
        ASSERT_GE(m_agent, 0);
        if (m_agent == 0) {
            ::close(pair[0]);
            ::fcntl(pair[1], F_SETFL, O_NONBLOCK);
            base::Fd root(::open(m_root->path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
            auto served =
                serve_exec_channel({.channel = base::Fd(pair[1]),
                                    .end = ChannelEnd::final,
                                    .reconnect = {},
                                    .defaults = {.env = {"PATH=/usr/bin:/bin", "HOME=/root"},
                                                 .cwd = "/",
                                                 .user = {.uid = ::getuid(), .gid = ::getgid()}},
                                    .root = std::move(root),
                                    .main = std::nullopt});
            _exit(served ? 0 : 1);
        }
        ::close(pair[1]);
        m_host = base::Fd(pair[0]);
    }

    void TearDown() override {
        m_host.reset(); // the agent ends with its channel
        if (m_agent > 0) {
            int status = 0;
            ::waitpid(m_agent, &status, 0);
        }
    }

    void send(ExecFrameType type, std::uint32_t session, std::string_view payload = {}) {
        std::string frame;
        contract::append_exec_frame(frame, type, session, payload);
        ASSERT_EQ(::send(m_host.get(), frame.data(), frame.size(), MSG_NOSIGNAL),
                  static_cast<ssize_t>(frame.size()));
    }

    void open(std::uint32_t session, contract::ExecRequest const& request) {
        send(ExecFrameType::open, session, contract::encode_exec_request(request));
    }

    // The next frame, or nullopt after 10 s.
    std::optional<ExecFrame> next() {
        auto const give_up = std::chrono::steady_clock::now() + 10s;
        while (true) {
            auto frame = m_decoder.next();
            EXPECT_TRUE(frame.has_value());
            if (frame && *frame) {
                return std::move(**frame);
            }
            if (std::chrono::steady_clock::now() > give_up) {
                return std::nullopt;
            }
            pollfd ready{.fd = m_host.get(), .events = POLLIN, .revents = 0};
            if (::poll(&ready, 1, 100) == 1) {
                auto space = m_decoder.space();
                ssize_t const n = ::recv(m_host.get(), space.data(), space.size(), 0);
                if (n <= 0) {
                    return std::nullopt;
                }
                m_decoder.commit(static_cast<std::size_t>(n));
            }
        }
    }

    struct Outcome {
        std::string out;
        std::string err;
        std::optional<std::uint32_t> exited;
        std::optional<contract::ExecFailure> failed;
        std::uint32_t stdin_credit = 0;
        std::size_t most_output_without_grant = 0;
    };

    // Collects a session's frames until it ends; grants output credit back unless told not to.
    Outcome collect(std::uint32_t session, bool grant = true) {
        Outcome outcome;
        std::size_t since_grant = 0;
        while (auto frame = next()) {
            if (frame->session != session) {
                continue;
            }
            switch (frame->type) {
            case ExecFrameType::stdout_data:
            case ExecFrameType::stderr_data:
                (frame->type == ExecFrameType::stdout_data ? outcome.out : outcome.err) +=
                    frame->payload;
                since_grant += frame->payload.size();
                outcome.most_output_without_grant =
                    std::max(outcome.most_output_without_grant, since_grant);
                if (grant) {
                    std::string credit;
                    contract::append_exec_frame_u32(
                        credit, ExecFrameType::output_credit, session,
                        static_cast<std::uint32_t>(frame->payload.size()));
                    ::send(m_host.get(), credit.data(), credit.size(), MSG_NOSIGNAL);
                    since_grant = 0;
                }
                break;
            case ExecFrameType::stdin_credit:
                outcome.stdin_credit += contract::exec_frame_u32(*frame).value();
                break;
            case ExecFrameType::exited:
                outcome.exited = contract::exec_frame_u32(*frame).value();
                return outcome;
            case ExecFrameType::failed:
                outcome.failed = contract::decode_exec_failure(frame->payload).value();
                return outcome;
            default:
                break;
            }
        }
        return outcome;
    }

    base::Fd m_host;
    pid_t m_agent = -1;
    contract::ExecFrameDecoder m_decoder;
    std::optional<base::TempDir> m_root;
};

TEST_F(ExecAgentTest, RunsACommandWithItsStreamsApartAndItsStatus) {
    open(1, {.argv = {"sh", "-c", "echo out; echo err >&2; exit 42"}});
    auto started = next();
    ASSERT_TRUE(started);
    EXPECT_EQ(started->type, ExecFrameType::started);
    auto const outcome = collect(1);
    EXPECT_EQ(outcome.out, "out\n");
    EXPECT_EQ(outcome.err, "err\n");
    EXPECT_EQ(outcome.exited, 42u);
}

TEST_F(ExecAgentTest, StdinFlowsWithinItsCreditAndItsEndIsAnEnd) {
    open(2, {.argv = {"cat"}, .stdin_open = true});
    ASSERT_EQ(next()->type, ExecFrameType::started);
    std::string const chunk(contract::max_exec_data_chunk, 'x');
    // The first window, all at once, is within the credit.
    for (std::size_t sent = 0; sent < contract::exec_window; sent += chunk.size()) {
        send(ExecFrameType::stdin_data, 2, chunk);
    }
    send(ExecFrameType::stdin_close, 2);
    auto const outcome = collect(2);
    EXPECT_EQ(outcome.out.size(), contract::exec_window);
    EXPECT_EQ(outcome.exited, 0u);
    // What cat read was credited back.
    EXPECT_EQ(outcome.stdin_credit, contract::exec_window);
}

TEST_F(ExecAgentTest, OutputStopsAtTheCreditUntilMoreIsGranted) {
    open(3, {.argv = {"head", "-c", "1000000", "/dev/zero"}});
    ASSERT_EQ(next()->type, ExecFrameType::started);
    // Nothing granted: no more than the first window arrives.
    std::size_t received = 0;
    while (auto frame = next()) {
        if (frame->type == ExecFrameType::stdout_data) {
            received += frame->payload.size();
        }
        if (received == contract::exec_window) {
            break;
        }
    }
    EXPECT_EQ(received, contract::exec_window);
    pollfd ready{.fd = m_host.get(), .events = POLLIN, .revents = 0};
    EXPECT_EQ(::poll(&ready, 1, 500), 0) << "output beyond the credit";
    // Granting the window lets the rest come.
    std::string credit;
    contract::append_exec_frame_u32(credit, ExecFrameType::output_credit, 3, contract::exec_window);
    ::send(m_host.get(), credit.data(), credit.size(), MSG_NOSIGNAL);
    auto const outcome = collect(3);
    EXPECT_EQ(received + outcome.out.size(), 1000000u);
    EXPECT_EQ(outcome.exited, 0u);
}

TEST_F(ExecAgentTest, AUserTheVmDoesNotHaveFailsWith125) {
    open(4, {.argv = {"true"}, .user = "nobody-here"});
    auto const outcome = collect(4);
    ASSERT_TRUE(outcome.failed);
    EXPECT_EQ(outcome.failed->status, 125u);
    EXPECT_NE(outcome.failed->message.find("nobody-here"), std::string::npos);
    // A name the VM has resolves, and HOME follows it.
    open(5, {.argv = {"sh", "-c", "echo $HOME"}, .user = "me"});
    EXPECT_EQ(collect(5).out, "/home/me\n");
}

TEST_F(ExecAgentTest, CommandsThatCannotRunAre127And126) {
    open(6, {.argv = {"no-such-command-anywhere"}});
    auto const missing = collect(6);
    EXPECT_EQ(missing.exited, 127u);
    EXPECT_NE(missing.err.find("not found"), std::string::npos) << missing.err;
    open(7, {.argv = {"/etc/passwd"}});
    EXPECT_EQ(collect(7).exited, 126u);
}

// Processes whose command line is exactly `argv`.
int count_running(std::vector<std::string> const& argv) {
    std::string wanted;
    for (auto const& arg : argv) {
        wanted += arg;
        wanted.push_back('\0');
    }
    int count = 0;
    for (auto const& entry : std::filesystem::directory_iterator("/proc")) {
        std::ifstream file(entry.path() / "cmdline", std::ios::binary);
        std::string const cmdline((std::istreambuf_iterator<char>(file)), {});
        count += cmdline == wanted ? 1 : 0;
    }
    return count;
}

bool eventually_none(std::vector<std::string> const& argv, std::chrono::seconds limit) {
    auto const give_up = std::chrono::steady_clock::now() + limit;
    while (count_running(argv) != 0) {
        if (std::chrono::steady_clock::now() > give_up) {
            return false;
        }
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

TEST_F(ExecAgentTest, AHangupEndsTheProcessGroupAndSigkillFollowsForWhatIgnoresIt) {
    open(8, {.argv = {"sleep", "1000"}});
    ASSERT_EQ(next()->type, ExecFrameType::started);
    // A leader that ignores SIGHUP, and one that dies of it but leaves a member that ignores it.
    open(9, {.argv = {"sh", "-c", "trap '' HUP; echo armed; sleep 1001"}});
    open(10, {.argv = {"sh", "-c", "(trap '' HUP; exec sleep 1002) & echo armed; sleep 1003"}});
    int armed = 0;
    while (armed < 2) {
        auto const frame = next();
        ASSERT_TRUE(frame);
        armed += frame->type == ExecFrameType::stdout_data ? 1 : 0;
    }
    for (int tries = 0; tries < 500 && count_running({"sleep", "1002"}) == 0; ++tries) {
        std::this_thread::sleep_for(10ms);
    }
    ASSERT_EQ(count_running({"sleep", "1002"}), 1);
    auto const hung_up = std::chrono::steady_clock::now();
    send(ExecFrameType::hangup, 8);
    send(ExecFrameType::hangup, 9);
    send(ExecFrameType::hangup, 10);
    EXPECT_TRUE(eventually_none({"sleep", "1000"}, 10s));
    EXPECT_TRUE(eventually_none({"sleep", "1003"}, 10s));
    // The member that outlived its leader does not outlive the hangup.
    EXPECT_TRUE(eventually_none({"sleep", "1002"}, 10s));
    // Only SIGKILL, after the grace period, ends the group whose leader ignores SIGHUP.
    EXPECT_TRUE(eventually_none({"sleep", "1001"}, 10s));
    EXPECT_GE(std::chrono::steady_clock::now() - hung_up, exec_hangup_grace / 2);
}

TEST_F(ExecAgentTest, ATerminalSessionRunsOnAPty) {
    open(10, {.argv = {"sh", "-c", "tty; stty size"}, .tty = true, .rows = 30, .cols = 90});
    auto const outcome = collect(10);
    EXPECT_NE(outcome.out.find("/dev/pts/"), std::string::npos) << outcome.out;
    EXPECT_NE(outcome.out.find("30 90"), std::string::npos) << outcome.out;
    EXPECT_TRUE(outcome.err.empty());
    EXPECT_EQ(outcome.exited, 0u);
}

TEST_F(ExecAgentTest, AnAttachWithoutAnAttachableWorkloadFails) {
    open(11, {.attach = true});
    auto const outcome = collect(11);
    ASSERT_TRUE(outcome.failed);
    EXPECT_NE(outcome.failed->message.find("-i or -t"), std::string::npos);
}

} // namespace
} // namespace microvm::guest
