#include <signal.h>

#include <charconv>

#include "host/process/stop.hpp"
#include "process_fixture.hpp"

namespace microvm::process::test {
namespace {

using namespace std::chrono_literals;

class StopTest : public ProcessTest {
protected:
    // Reads the PID a script wrote to `file`.
    static pid_t pid_from(std::filesystem::path const& file) {
        auto line = wait_for_line(file);
        pid_t pid = 0;
        std::from_chars(line.data(), line.data() + line.size(), pid);
        return pid;
    }
};

TEST_F(StopTest, SigtermStopsTheRunnerAndItsGroup) {
    auto pidfile = dir() / "grandchild";
    auto spawned = spawn_script("sleep 1000 &\necho $! > " + pidfile.string() + "\nwait\n");
    ASSERT_TRUE(spawned) << spawned.error().text();
    pid_t grandchild = pid_from(pidfile);
    ASSERT_GT(grandchild, 1);
    EXPECT_TRUE(alive(spawned->identity));

    auto outcome = stop(spawned->identity, 60s);
    ASSERT_TRUE(outcome) << outcome.error().text();
    EXPECT_EQ(*outcome, StopOutcome::terminated);
    auto status = spawned->child.wait();
    ASSERT_TRUE(status);
    EXPECT_EQ(*status, killed_by(SIGTERM));
    EXPECT_TRUE(eventually_gone(grandchild));
}

TEST_F(StopTest, ARunnerIgnoringSigtermIsKilledWithItsGroup) {
    auto pidfile = dir() / "grandchild";
    // The ignored disposition is inherited, so the grandchild ignores SIGTERM as well.
    auto spawned =
        spawn_script("trap '' TERM\nsleep 1000 &\necho $! > " + pidfile.string() + "\nwait\n");
    ASSERT_TRUE(spawned) << spawned.error().text();
    pid_t grandchild = pid_from(pidfile);
    ASSERT_GT(grandchild, 1);

    auto outcome = stop(spawned->identity, 200ms);
    ASSERT_TRUE(outcome) << outcome.error().text();
    EXPECT_EQ(*outcome, StopOutcome::killed);
    auto status = spawned->child.wait();
    ASSERT_TRUE(status);
    EXPECT_EQ(*status, killed_by(SIGKILL));
    EXPECT_TRUE(eventually_gone(grandchild));
}

TEST_F(StopTest, LeftoversOfAnExitedRunnerAreKilled) {
    auto pidfile = dir() / "grandchild";
    // The runner exits on SIGTERM, but leaves a child behind that ignores it.
    auto spawned = spawn_script("(trap '' TERM; exec sleep 1000) &\necho $! > " + pidfile.string() +
                                "\nwait\n");
    ASSERT_TRUE(spawned) << spawned.error().text();
    pid_t grandchild = pid_from(pidfile);
    ASSERT_GT(grandchild, 1);
    // The subshell installs its trap before exec; wait until sleep runs with it.
    for (int i = 0; i < 2000 && read_exe(grandchild).value_or("").filename() != "sleep"; ++i) {
        std::this_thread::sleep_for(10ms);
    }

    auto outcome = stop(spawned->identity, 60s);
    ASSERT_TRUE(outcome) << outcome.error().text();
    EXPECT_EQ(*outcome, StopOutcome::terminated);
    ASSERT_TRUE(spawned->child.wait());
    EXPECT_TRUE(eventually_gone(grandchild));
}

TEST_F(StopTest, MismatchedIdentityIsNeverSignalled) {
    auto spawned = spawn_script("trap 'echo got-term; exit 0' TERM\nwhile :; do sleep 1; done\n");
    ASSERT_TRUE(spawned) << spawned.error().text();

    auto other_exe = spawned->identity;
    other_exe.exe = "/usr/lib/elsewhere/" + other_exe.exe.filename().string();
    auto other_start = spawned->identity;
    other_start.start_time += 1;

    for (auto const& identity : {other_exe, other_start}) {
        EXPECT_FALSE(alive(identity));
        auto outcome = stop(identity, 100ms);
        ASSERT_TRUE(outcome) << outcome.error().text();
        EXPECT_EQ(*outcome, StopOutcome::not_running);
    }
    auto still = spawned->child.try_wait();
    ASSERT_TRUE(still);
    EXPECT_FALSE(*still) << "the child was signalled";
    EXPECT_TRUE(alive(spawned->identity));
    EXPECT_EQ(microvm::test::read_file(log()), "");
    ASSERT_TRUE(spawned->child.kill());
}

TEST_F(StopTest, ARunnerWhoseBinaryWasReplacedIsStillRecognised) {
    // As when microvm-runner is rebuilt or upgraded while a VM runs: /proc/PID/exe then ends
    // in " (deleted)".
    auto runner = dir() / "runner-copy";
    std::filesystem::copy_file(std::filesystem::canonical(shell), runner);
    microvm::test::write_file(dir() / "script", "sleep 1000\n");
    auto spawned = spawn_runner(
        {.runner = runner, .config_path = dir() / "script", .log_path = log(), .env = {}});
    ASSERT_TRUE(spawned) << spawned.error().text();
    std::filesystem::remove(runner);
    EXPECT_EQ(read_exe(spawned->child.pid()).value_or(""), runner);
    EXPECT_TRUE(alive(spawned->identity));
    auto outcome = stop(spawned->identity, 60s);
    ASSERT_TRUE(outcome) << outcome.error().text();
    EXPECT_EQ(*outcome, StopOutcome::terminated);
    ASSERT_TRUE(spawned->child.wait());
}

TEST_F(StopTest, PidZeroAndOneAreRefused) {
    for (pid_t pid : {-1, 0, 1}) {
        ProcessIdentity identity{.pid = pid, .start_time = 0, .exe = "/sbin/init"};
        auto outcome = stop(identity, 100ms);
        ASSERT_FALSE(outcome) << pid;
        EXPECT_EQ(outcome.error().text(), "stop: refusing to signal pid " + std::to_string(pid));
        EXPECT_FALSE(alive(identity));
    }
}

TEST_F(StopTest, AReapedRunnerIsNotRunning) {
    auto spawned = spawn_script("exit 0\n");
    ASSERT_TRUE(spawned) << spawned.error().text();
    auto identity = spawned->identity;
    ASSERT_TRUE(spawned->child.wait());
    EXPECT_FALSE(alive(identity));
    auto outcome = stop(identity, 100ms);
    ASSERT_TRUE(outcome) << outcome.error().text();
    EXPECT_EQ(*outcome, StopOutcome::not_running);
}

TEST_F(StopTest, AnExitedUnreapedRunnerIsNotRunning) {
    auto spawned = spawn_script("exit 3\n");
    ASSERT_TRUE(spawned) << spawned.error().text();
    while (read_stat(spawned->child.pid()).value_or(ProcessStat{}).state != 'Z') {
        std::this_thread::sleep_for(10ms);
    }
    EXPECT_EQ(check_identity(spawned->identity), Presence::exited);
    EXPECT_FALSE(alive(spawned->identity));
    auto outcome = stop(spawned->identity, 100ms);
    ASSERT_TRUE(outcome) << outcome.error().text();
    EXPECT_EQ(*outcome, StopOutcome::not_running);
    auto status = spawned->child.wait();
    ASSERT_TRUE(status);
    EXPECT_EQ(status->code(), 3);
}

TEST_F(StopTest, WaitForExitReturnsWhenTheRunnerEnds) {
    auto spawned = spawn_script("sleep 1000\n");
    ASSERT_TRUE(spawned) << spawned.error().text();
    auto identity = spawned->identity;
    std::thread killer([pid = identity.pid] {
        std::this_thread::sleep_for(50ms);
        ::kill(-pid, SIGKILL);
    });
    auto waited = wait_for_exit(identity);
    killer.join();
    ASSERT_TRUE(waited) << waited.error().text();
    ASSERT_TRUE(spawned->child.wait());
    EXPECT_TRUE(wait_for_exit(identity));
}

} // namespace
} // namespace microvm::process::test
