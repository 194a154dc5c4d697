// microvm exec on real VMs: exit statuses, byte-exact streams, stdin, many sessions at once, a
// session nobody reads, pseudo-terminals, and what a client that goes away leaves behind.
// The tests share one running VM, as exec sessions do in use.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <openssl/sha.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "vm_fixture.hpp"

extern char** environ;

namespace microvm::e2e {
namespace {

using namespace std::chrono_literals;

constexpr char shared_vm[] = "exec-shared";

// A child process of the test with its own stdio, killed and reaped if the test ends first.
class Spawned {
public:
    Spawned(std::vector<std::string> const& args, int in, int out, int err,
            bool new_session = false) {
        std::vector<std::string> argv = {bin("microvm").string()};
        argv.insert(argv.end(), args.begin(), args.end());
        std::vector<char*> argvp;
        for (auto& arg : argv) {
            argvp.push_back(arg.data());
        }
        argvp.push_back(nullptr);
        std::string const data_dir = "MICROVM_DATA_DIR=" + world().data_dir.string();
        std::vector<char*> envp;
        for (char** e = environ; *e != nullptr; ++e) {
            envp.push_back(*e);
        }
        envp.push_back(const_cast<char*>(data_dir.c_str()));
        envp.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, in, 0);
        posix_spawn_file_actions_adddup2(&actions, out, 1);
        posix_spawn_file_actions_adddup2(&actions, err, 2);
        posix_spawnattr_t attributes;
        posix_spawnattr_init(&attributes);
        if (new_session) {
            posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSID);
        }
        if (::posix_spawn(&m_pid, argvp[0], &actions, &attributes, argvp.data(), envp.data()) !=
            0) {
            m_pid = -1;
        }
        posix_spawnattr_destroy(&attributes);
        posix_spawn_file_actions_destroy(&actions);
    }
    Spawned(Spawned const&) = delete;
    Spawned& operator=(Spawned const&) = delete;
    ~Spawned() {
        if (m_pid > 0) {
            ::kill(m_pid, SIGKILL);
            ::waitpid(m_pid, nullptr, 0);
        }
    }
    pid_t pid() const { return m_pid; }
    // The exit code, or -1 for a signal.
    int wait() {
        int status = 0;
        ::waitpid(std::exchange(m_pid, -1), &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    bool exited_within(std::chrono::milliseconds limit) {
        auto const give_up = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < give_up) {
            int status = 0;
            if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
                m_pid = -1;
                m_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
                return true;
            }
            std::this_thread::sleep_for(20ms);
        }
        return false;
    }
    int status() const { return m_status; }

private:
    pid_t m_pid = -1;
    int m_status = -1;
};

test::ProcessResult exec(std::vector<std::string> args, std::string const& input = "") {
    args.insert(args.begin(), "exec");
    std::vector<std::string> argv = {bin("microvm").string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return test::run_process(argv, {"MICROVM_DATA_DIR=" + world().data_dir.string()}, input);
}

std::string sha256(std::string const& bytes) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    ::SHA256(reinterpret_cast<unsigned char const*>(bytes.data()), bytes.size(), digest);
    return std::string(reinterpret_cast<char*>(digest), sizeof(digest));
}

std::string random_bytes(std::size_t size) {
    std::mt19937_64 generator(size);
    std::string bytes(size, '\0');
    for (std::size_t i = 0; i + 8 <= size; i += 8) {
        std::uint64_t const value = generator();
        std::memcpy(bytes.data() + i, &value, 8);
    }
    return bytes;
}

// How many processes in the guest have `needle` in their command line.
int guest_processes(std::string const& needle) {
    auto const result = exec({shared_vm, "sh", "-c", "ps -o args | grep -c '" + needle + "'"});
    // Callers write the pattern as "[s]leep", which matches neither grep nor the sh around it.
    return result.exit_code <= 1 ? std::atoi(result.out.c_str()) : -1;
}

int runner_pid(std::string const& name) {
    auto const json = nlohmann::json::parse(microvm({"inspect", name}).out, nullptr, false);
    return json.is_array() && json.size() == 1 ? json[0]["state"].value("pid", 0) : 0;
}

std::size_t rss_kib(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(status, line);) {
        if (line.starts_with("VmRSS:")) {
            return std::stoul(line.substr(6));
        }
    }
    return 0;
}

class Exec : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        (void)microvm({"rm", "-f", shared_vm});
        auto const started =
            microvm({"run", "-d", "--name", shared_vm, "--rootfs", world().rootfs.string(), "-e",
                     "FROM_RUN=yes", "-w", "/tmp", "--", "sleep", "3000"});
        ASSERT_EQ(started.exit_code, 0) << started.err;
    }
    static void TearDownTestSuite() { (void)microvm({"rm", "-f", shared_vm}); }
};

TEST_F(Exec, ExitStatusesAreTheCommands) {
    for (int code : {0, 1, 42, 255}) {
        auto const result = exec({shared_vm, "sh", "-c", "exit " + std::to_string(code)});
        EXPECT_EQ(result.exit_code, code) << result.err;
    }
    auto const not_found = exec({shared_vm, "no-such-command"});
    EXPECT_EQ(not_found.exit_code, 127);
    EXPECT_NE(not_found.err.find("not found"), std::string::npos) << not_found.err;
    auto const not_executable = exec({shared_vm, "/etc/passwd"});
    EXPECT_EQ(not_executable.exit_code, 126) << not_executable.err;
}

TEST_F(Exec, StdoutAndStderrComeBackApartAndByteExact) {
    // Every byte value on each stream, different on each.
    auto const result = exec({shared_vm, "sh", "-c",
                              "i=0; while [ $i -lt 256 ]; do printf \"\\\\$(printf %o $i)\"; "
                              "i=$((i+1)); done; printf 'err\\000\\377' >&2"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    ASSERT_EQ(result.out.size(), 256u);
    for (int i = 0; i < 256; ++i) {
        EXPECT_EQ(static_cast<unsigned char>(result.out[static_cast<std::size_t>(i)]), i);
    }
    EXPECT_EQ(result.err, std::string("err\0\377", 5));
}

TEST_F(Exec, SixtyFourMebibytesThroughStdinAndBack) {
    std::string const input = random_bytes(64 << 20);
    auto const result = exec({"-i", shared_vm, "cat"}, input);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out.size(), input.size());
    EXPECT_TRUE(sha256(result.out) == sha256(input));
    // The guest saw all of it, and the end of it: wc ends only at EOF.
    auto const counted = exec({"-i", shared_vm, "wc", "-c"}, input.substr(0, 1 << 20));
    EXPECT_EQ(counted.out, "1048576\n");
}

TEST_F(Exec, TheVmsEnvironmentUserAndDirectoryAreTheDefaults) {
    auto const result =
        exec({"-e", "EXTRA=1", shared_vm, "sh", "-c", "echo $FROM_RUN $EXTRA; pwd; id -u"});
    EXPECT_EQ(result.out, "yes 1\n/tmp\n0\n") << result.err;
    auto const chosen =
        exec({"-w", "/", "-u", "1234:5678", shared_vm, "sh", "-c", "pwd; id -u; id -g"});
    EXPECT_EQ(chosen.out, "/\n1234\n5678\n") << chosen.err;
    auto const named = exec({"-u", "root", shared_vm, "id", "-un"});
    EXPECT_EQ(named.out, "root\n") << named.err;
}

TEST_F(Exec, MicrovmsOwnFailuresAre125WithAMessage) {
    auto const no_user = exec({"-u", "no-such-user", shared_vm, "true"});
    EXPECT_EQ(no_user.exit_code, 125);
    EXPECT_NE(no_user.err.find("no-such-user"), std::string::npos) << no_user.err;
    auto const no_vm = exec({"no-such-vm", "true"});
    EXPECT_EQ(no_vm.exit_code, 125);
    EXPECT_NE(no_vm.err.find("no-such-vm"), std::string::npos) << no_vm.err;

    (void)microvm({"rm", "-f", "exec-exited"});
    auto const ran = microvm(
        {"run", "-d", "--name", "exec-exited", "--rootfs", world().rootfs.string(), "--", "true"});
    ASSERT_EQ(ran.exit_code, 0) << ran.err;
    ASSERT_TRUE(eventually([] {
        auto const json =
            nlohmann::json::parse(microvm({"inspect", "exec-exited"}).out, nullptr, false);
        return json.is_array() && json.size() == 1 && json[0]["state"]["status"] == "exited";
    }));
    auto const exited = exec({"exec-exited", "true"});
    EXPECT_EQ(exited.exit_code, 125);
    EXPECT_NE(exited.err.find("not running"), std::string::npos) << exited.err;
    (void)microvm({"rm", "-f", "exec-exited"});
}

TEST_F(Exec, ThirtyTwoSessionsAtOnceWhileOneIsNeverRead) {
    // A session whose client never reads: its output stalls in its own credit.
    int stalled_out[2];
    ASSERT_EQ(::pipe(stalled_out), 0);
    int const null = ::open("/dev/null", O_RDWR);
    Spawned stalled({"exec", shared_vm, "cat", "/dev/zero"}, null, stalled_out[1], null);
    ::close(stalled_out[1]);

    constexpr int sessions = 32;
    std::vector<std::thread> threads;
    std::vector<test::ProcessResult> results(sessions);
    for (int i = 0; i < sessions; ++i) {
        threads.emplace_back([i, &results] {
            results[static_cast<std::size_t>(i)] =
                exec({shared_vm, "sh", "-c",
                      "i=0; while [ $i -lt 200 ]; do echo s" + std::to_string(i) +
                          "-$i; i=$((i+1)); done"});
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    for (int i = 0; i < sessions; ++i) {
        std::string expected;
        for (int line = 0; line < 200; ++line) {
            expected += "s" + std::to_string(i) + "-" + std::to_string(line) + "\n";
        }
        EXPECT_EQ(results[static_cast<std::size_t>(i)].out, expected) << "session " << i;
        EXPECT_EQ(results[static_cast<std::size_t>(i)].exit_code, 0);
    }
    // Still stalled, not ended, and its bytes are held by no one beyond its window: the
    // runner's memory stays put while the guest has endless output for it.
    EXPECT_FALSE(stalled.exited_within(100ms));
    auto const runner = runner_pid(shared_vm);
    ASSERT_GT(runner, 0);
    std::size_t const before = rss_kib(runner);
    std::this_thread::sleep_for(2s);
    std::size_t const after = rss_kib(runner);
    EXPECT_LT(after, before + 8 * 1024) << "runner RSS " << before << " -> " << after << " KiB";
    ::close(stalled_out[0]);
    ::close(null);
}

TEST_F(Exec, AKilledClientLeavesNothingRunningInTheGuest) {
    int const null = ::open("/dev/null", O_RDWR);
    {
        Spawned client({"exec", shared_vm, "sleep", "1000"}, null, null, null);
        ASSERT_TRUE(eventually([] { return guest_processes("[s]leep 1000") == 1; }));
        ::kill(client.pid(), SIGKILL);
    }
    // SIGHUP ends sleep at once; SIGKILL follows after the grace period for what ignores it.
    EXPECT_TRUE(eventually([] { return guest_processes("[s]leep 1000") == 0; }));
    {
        Spawned client({"exec", shared_vm, "sh", "-c", "trap '' HUP; sleep 1001"}, null, null,
                       null);
        // The sh that ignores SIGHUP and its sleep.
        ASSERT_TRUE(eventually([] { return guest_processes("[s]leep 1001") >= 1; }));
        ::kill(client.pid(), SIGTERM);
        // SIGTERM was passed on to sh, which does not ignore it.
        EXPECT_TRUE(client.exited_within(30s));
    }
    EXPECT_TRUE(eventually([] { return guest_processes("[s]leep 1001") == 0; }));
    ::close(null);
}

TEST_F(Exec, AWorkloadStartedWithoutITCannotBeAttachedTo) {
    auto const result = microvm({"attach", shared_vm});
    EXPECT_EQ(result.exit_code, 125);
    EXPECT_NE(result.err.find("-i or -t"), std::string::npos) << result.err;
}

TEST_F(Exec, SignalsSentToTheClientReachTheCommand) {
    int out[2];
    ASSERT_EQ(::pipe(out), 0);
    int const null = ::open("/dev/null", O_RDWR);
    Spawned client({"exec", shared_vm, "sh", "-c",
                    "trap 'echo got-int; exit 9' INT; echo ready; "
                    "while true; do sleep 0.1; done"},
                   null, out[1], null);
    ::close(out[1]);
    std::string seen;
    auto read_some = [&] {
        char buffer[256];
        pollfd ready{.fd = out[0], .events = POLLIN, .revents = 0};
        if (::poll(&ready, 1, 200) == 1) {
            ssize_t const n = ::read(out[0], buffer, sizeof(buffer));
            if (n > 0) {
                seen.append(buffer, static_cast<std::size_t>(n));
            }
        }
        return seen;
    };
    ASSERT_TRUE(eventually([&] { return read_some().find("ready") != std::string::npos; }, 60s));
    ::kill(client.pid(), SIGINT);
    ASSERT_TRUE(client.exited_within(60s));
    EXPECT_EQ(client.status(), 9);
    EXPECT_TRUE(eventually([&] { return read_some().find("got-int") != std::string::npos; }, 10s))
        << seen;
    ::close(out[0]);
    ::close(null);
}

TEST_F(Exec, DetachedCommandsRunOn) {
    auto const started = exec({"-d", shared_vm, "sh", "-c", "sleep 1 && touch /tmp/detached-done"});
    ASSERT_EQ(started.exit_code, 0) << started.err;
    EXPECT_TRUE(eventually([] {
        return exec({shared_vm, "test", "-e", "/tmp/detached-done"}).exit_code == 0;
    }));
}

// Reads from the pty master until `needle` appears (or 60 s pass).
std::string read_until(int master, std::string const& needle) {
    std::string seen;
    auto const give_up = std::chrono::steady_clock::now() + 60s;
    while (seen.find(needle) == std::string::npos && std::chrono::steady_clock::now() < give_up) {
        pollfd ready{.fd = master, .events = POLLIN, .revents = 0};
        if (::poll(&ready, 1, 200) == 1) {
            char buffer[4096];
            ssize_t const n = ::read(master, buffer, sizeof(buffer));
            if (n <= 0) {
                break;
            }
            seen.append(buffer, static_cast<std::size_t>(n));
        }
    }
    return seen;
}

void type(int master, std::string const& keys) {
    ASSERT_EQ(::write(master, keys.data(), keys.size()), static_cast<ssize_t>(keys.size()));
}

TEST_F(Exec, ATerminalInTheGuest) {
    int master = -1;
    int slave = -1;
    winsize size{.ws_row = 33, .ws_col = 111, .ws_xpixel = 0, .ws_ypixel = 0};
    ASSERT_EQ(::openpty(&master, &slave, nullptr, nullptr, &size), 0);
    termios before{};
    ASSERT_EQ(::tcgetattr(slave, &before), 0);
    {
        Spawned client({"exec", "-it", shared_vm, "sh"}, slave, slave, slave, true);
        type(master, "tty; stty size\r");
        auto const first = read_until(master, "33 111");
        EXPECT_NE(first.find("/dev/pts/"), std::string::npos) << first;
        EXPECT_NE(first.find("33 111"), std::string::npos) << first;

        size.ws_row = 20;
        size.ws_col = 70;
        ASSERT_EQ(::ioctl(master, TIOCSWINSZ, &size), 0);
        ::kill(client.pid(), SIGWINCH);
        std::this_thread::sleep_for(500ms);
        type(master, "stty size\r");
        auto const resized = read_until(master, "20 70");
        EXPECT_NE(resized.find("20 70"), std::string::npos) << resized;

        // Ctrl-C as a key: the guest's terminal turns it into SIGINT for sleep.
        type(master, "sleep 100\r");
        std::this_thread::sleep_for(1s);
        type(master, "\x03");
        std::this_thread::sleep_for(500ms);
        type(master, "echo status-$?\r");
        auto const interrupted = read_until(master, "status-130");
        EXPECT_NE(interrupted.find("status-130"), std::string::npos) << interrupted;

        type(master, "exit 3\r");
        ASSERT_TRUE(client.exited_within(60s));
        EXPECT_EQ(client.status(), 3);
    }
    termios after{};
    ASSERT_EQ(::tcgetattr(slave, &after), 0);
    EXPECT_EQ(after.c_lflag, before.c_lflag);
    EXPECT_EQ(after.c_iflag, before.c_iflag);
    EXPECT_EQ(after.c_oflag, before.c_oflag);
    ::close(master);
    ::close(slave);
}

// A terminal for a `microvm` child of the test, of 24 x 80.
struct TestTerminal {
    int master = -1;
    int slave = -1;
    TestTerminal() {
        winsize size{.ws_row = 24, .ws_col = 80, .ws_xpixel = 0, .ws_ypixel = 0};
        if (::openpty(&master, &slave, nullptr, nullptr, &size) != 0) {
            master = slave = -1;
        }
    }
    TestTerminal(TestTerminal const&) = delete;
    TestTerminal& operator=(TestTerminal const&) = delete;
    ~TestTerminal() {
        ::close(master);
        ::close(slave);
    }
};

TEST(RunInteractive, RunItGivesAShellWithJobControlAndItsExitStatus) {
    TestTerminal terminal;
    ASSERT_GE(terminal.master, 0);
    Spawned client({"run", "-it", "--rootfs", world().rootfs.string(), "--", "sh"}, terminal.slave,
                   terminal.slave, terminal.slave, true);
    // The prompt written before the client attached comes first (the replay).
    auto const prompt = read_until(terminal.master, "# ");
    EXPECT_NE(prompt.find("# "), std::string::npos) << prompt;
    type(terminal.master, "echo sum-$((40+2)); tty\r");
    auto const answered = read_until(terminal.master, "/dev/pts/");
    EXPECT_NE(answered.find("sum-42"), std::string::npos) << answered;
    EXPECT_NE(answered.find("/dev/pts/"), std::string::npos) << answered;
    // Job control: a background job is listed as one.
    type(terminal.master, "sleep 30 &\r");
    type(terminal.master, "jobs\r");
    auto const jobs = read_until(terminal.master, "Running");
    EXPECT_NE(jobs.find("Running"), std::string::npos) << jobs;
    type(terminal.master, "exit 3\r");
    ASSERT_TRUE(client.exited_within(120s));
    EXPECT_EQ(client.status(), 3);
}

TEST(ExecExample, TheLibrarysExampleFeedsStdinAndReportsTheStatus) {
    auto const result =
        test::run_process({bin("microvm-example-exec").string(), "--rootfs",
                           world().rootfs.string(), "sh", "-c", "tr a-z A-Z; exit 6"},
                          {"MICROVM_DATA_DIR=" + world().data_dir.string()});
    EXPECT_EQ(result.exit_code, 6) << result.err;
    EXPECT_EQ(result.out, "HELLO FROM THE HOST\n");
    EXPECT_NE(result.err.find("exit code: 6"), std::string::npos) << result.err;
}

TEST(RunInteractive, RunIPassesStdinAndItsEnd) {
    auto const result =
        test::run_process({bin("microvm").string(), "run", "-i", "--rootfs",
                           world().rootfs.string(), "--", "sh", "-c", "tr a-z A-Z; exit 5"},
                          {"MICROVM_DATA_DIR=" + world().data_dir.string()}, "hello from stdin\n");
    EXPECT_EQ(result.exit_code, 5) << result.err;
    EXPECT_EQ(result.out, "HELLO FROM STDIN\n");
}

TEST(RunInteractive, DetachAndAttachAgain) {
    constexpr char name[] = "exec-attach";
    (void)microvm({"rm", "-f", name});
    auto const started = microvm(
        {"run", "-d", "-it", "--name", name, "--rootfs", world().rootfs.string(), "--", "sh"});
    ASSERT_EQ(started.exit_code, 0) << started.err;
    {
        TestTerminal terminal;
        Spawned client({"attach", name}, terminal.slave, terminal.slave, terminal.slave, true);
        type(terminal.master, "echo first-$((2*3))\r");
        auto const first = read_until(terminal.master, "first-6");
        EXPECT_NE(first.find("first-6"), std::string::npos) << first;
        // While attached, the attach is a session of the VM's.
        auto const json = nlohmann::json::parse(microvm({"inspect", name}).out, nullptr, false);
        EXPECT_EQ(json[0]["state"]["exec_sessions"], 1) << json.dump();
        type(terminal.master, "\x10\x11"); // ctrl-p ctrl-q
        ASSERT_TRUE(client.exited_within(60s));
        EXPECT_EQ(client.status(), 0);
    }
    {
        TestTerminal terminal;
        Spawned client({"attach", name}, terminal.slave, terminal.slave, terminal.slave, true);
        type(terminal.master, "echo second\r");
        auto const second = read_until(terminal.master, "second\r\n");
        EXPECT_NE(second.find("second\r\n"), std::string::npos) << second;
        type(terminal.master, "exit 3\r");
        ASSERT_TRUE(client.exited_within(120s));
        EXPECT_EQ(client.status(), 3);
    }
    // What the terminal showed is in the VM's log too.
    auto const logs = microvm({"logs", name});
    EXPECT_NE(logs.out.find("first-6"), std::string::npos) << logs.out;
    (void)microvm({"rm", "-f", name});
}

} // namespace
} // namespace microvm::e2e
