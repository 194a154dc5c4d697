#include <signal.h>

#include <charconv>

#include "host/process/pidfd.hpp"
#include "process_fixture.hpp"

namespace microvm::process::test {
namespace {

using namespace std::chrono_literals;

class PidfdTest : public ProcessTest, public ::testing::WithParamInterface<GroupSignalMethod> {
protected:
    // Starts a runner stand-in with one grandchild in its group; returns the grandchild's PID.
    pid_t spawn_with_grandchild(std::optional<SpawnedRunner>& runner) {
        auto pidfile = dir() / "grandchild";
        auto spawned = spawn_script("sleep 1000 &\necho $! > " + pidfile.string() + "\nwait\n");
        EXPECT_TRUE(spawned) << spawned.error().text();
        if (!spawned) {
            return 0;
        }
        runner.emplace(std::move(*spawned));
        auto line = wait_for_line(pidfile);
        pid_t pid = 0;
        std::from_chars(line.data(), line.data() + line.size(), pid);
        return pid;
    }
};

TEST_P(PidfdTest, SignalsTheWholeGroup) {
    std::optional<SpawnedRunner> runner;
    pid_t grandchild = spawn_with_grandchild(runner);
    ASSERT_GT(grandchild, 1);
    auto pidfd = open_pidfd(runner->child.pid());
    ASSERT_TRUE(pidfd && *pidfd);

    auto sent = signal_group(**pidfd, runner->child.pid(), SIGKILL, GetParam());
    ASSERT_TRUE(sent) << sent.error().text();
    EXPECT_TRUE(*sent);
    EXPECT_EQ(runner->child.wait().value_or(base::ExitStatus{}), killed_by(SIGKILL));
    EXPECT_TRUE(eventually_gone(grandchild));
}

TEST_P(PidfdTest, NothingIsSignalledOnceTheLeaderIsReaped) {
    auto spawned = spawn_script("exit 0\n");
    ASSERT_TRUE(spawned) << spawned.error().text();
    pid_t pid = spawned->child.pid();
    auto pidfd = open_pidfd(pid);
    ASSERT_TRUE(pidfd && *pidfd);
    ASSERT_TRUE(spawned->child.wait());

    auto sent = signal_group(**pidfd, pid, SIGKILL, GetParam());
    ASSERT_TRUE(sent) << sent.error().text();
    EXPECT_FALSE(*sent);
}

TEST_P(PidfdTest, RefusesPidsBelowTwo) {
    auto self = open_pidfd(::getpid());
    ASSERT_TRUE(self && *self);
    for (pid_t pid : {-1, 0, 1}) {
        EXPECT_FALSE(signal_group(**self, pid, SIGKILL, GetParam())) << pid;
    }
}

INSTANTIATE_TEST_SUITE_P(Methods, PidfdTest,
                         ::testing::Values(GroupSignalMethod::automatic,
                                           GroupSignalMethod::checked_kill),
                         [](auto const& info) {
                             return info.param == GroupSignalMethod::automatic ? "automatic"
                                                                               : "checked_kill";
                         });

using PidfdOpenWaitTest = ProcessTest;

TEST_F(PidfdOpenWaitTest, WaitReportsExitAndTimeout) {
    auto spawned = spawn_script("sleep 1000\n");
    ASSERT_TRUE(spawned) << spawned.error().text();
    auto pidfd = open_pidfd(spawned->child.pid());
    ASSERT_TRUE(pidfd && *pidfd);
    EXPECT_EQ(wait_pidfd(**pidfd, 0ms).value_or(true), false);
    ASSERT_TRUE(spawned->child.kill());
    EXPECT_EQ(wait_pidfd(**pidfd, std::nullopt).value_or(false), true);
}

TEST_F(PidfdOpenWaitTest, OpenOfNoProcessIsEmpty) {
    auto spawned = spawn_script("exit 0\n");
    ASSERT_TRUE(spawned) << spawned.error().text();
    pid_t pid = spawned->child.pid();
    ASSERT_TRUE(spawned->child.wait());
    auto pidfd = open_pidfd(pid);
    ASSERT_TRUE(pidfd) << pidfd.error().text();
    EXPECT_FALSE(*pidfd);
}

} // namespace
} // namespace microvm::process::test
