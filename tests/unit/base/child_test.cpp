#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "base/child.hpp"
#include "base/command.hpp"

namespace microvm::base {
namespace {

Child sleeper() {
    auto child = spawn({.path = "/bin/sleep",
                        .argv = {"/bin/sleep", "100"},
                        .fds = {},
                        .death_signal = SIGKILL,
                        .before_exec = {}});
    EXPECT_TRUE(child) << child.error().text();
    return std::move(*child);
}

TEST(Child, TryWaitIsEmptyWhileRunning) {
    Child child = sleeper();
    auto const status = child.try_wait();
    ASSERT_TRUE(status);
    EXPECT_FALSE(*status);
    child.kill_and_reap();
    EXPECT_FALSE(child.owned());
}

TEST(Child, ThePidfdBecomesReadableOnExit) {
    Child child = sleeper();
    ASSERT_TRUE(child.signal(SIGKILL));
    pollfd fd{child.pidfd(), POLLIN, 0};
    ASSERT_EQ(::poll(&fd, 1, -1), 1);
    auto const status = child.try_wait();
    ASSERT_TRUE(status);
    ASSERT_TRUE(*status);
    EXPECT_EQ((*status)->kind, ExitStatus::Kind::signaled);
    EXPECT_EQ((*status)->describe().rfind("killed by signal 9", 0), 0u);
}

// A Child dropped while its process runs kills and reaps it: no process and no zombie remain.
TEST(Child, DroppingARunningChildKillsAndReapsIt) {
    pid_t pid = -1;
    {
        Child child = sleeper();
        pid = child.pid();
        ASSERT_EQ(::kill(pid, 0), 0);
    }
    EXPECT_EQ(::kill(pid, 0), -1);
    EXPECT_EQ(errno, ESRCH);
}

TEST(Child, MoveTransfersOwnership) {
    Child first = sleeper();
    pid_t const pid = first.pid();
    Child second = std::move(first);
    EXPECT_FALSE(first.owned());
    EXPECT_EQ(second.pid(), pid);
    EXPECT_FALSE(first.signal(SIGKILL));
    second.kill_and_reap();
}

// No process and no zombie with this pid. Polls without a deadline that a test asserts on.
bool eventually_reaped(pid_t pid) {
    for (int i = 0; i < 2000 && ::kill(pid, 0) == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return ::kill(pid, 0) == -1 && errno == ESRCH;
}

// A zombie answers kill(pid, 0), so only reaping makes it ESRCH.
TEST(Child, AChildReapedInTheBackgroundLeavesNoZombie) {
    Child child = sleeper();
    pid_t const pid = child.reap_in_background();
    EXPECT_FALSE(child.owned());
    EXPECT_EQ(::kill(pid, 0), 0) << "it keeps running";
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    EXPECT_TRUE(eventually_reaped(pid));
}

// The background reaper waits on the pidfd: when something else reaps the child first, it
// does not reap anyone else.
TEST(Child, TheBackgroundReaperLeavesAChildReapedElsewhereAlone) {
    Child child = sleeper();
    Child other = sleeper();
    pid_t const pid = child.reap_in_background();
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    // Whoever gets it first, the child ends reaped, and `other` is untouched.
    ::waitpid(pid, nullptr, 0);
    EXPECT_TRUE(eventually_reaped(pid));
    auto status = other.try_wait();
    ASSERT_TRUE(status) << status.error().text();
    EXPECT_FALSE(*status);
    other.kill_and_reap();
}

TEST(ExitStatus, ShellConvention) {
    EXPECT_EQ((ExitStatus{.kind = ExitStatus::Kind::exited, .value = 3}).code(), 3);
    EXPECT_EQ((ExitStatus{.kind = ExitStatus::Kind::signaled, .value = SIGKILL}).code(), 137);
}

} // namespace
} // namespace microvm::base
