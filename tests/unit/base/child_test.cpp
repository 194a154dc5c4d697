#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>

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

TEST(ExitStatus, ShellConvention) {
    EXPECT_EQ((ExitStatus{.kind = ExitStatus::Kind::exited, .value = 3}).code(), 3);
    EXPECT_EQ((ExitStatus{.kind = ExitStatus::Kind::signaled, .value = SIGKILL}).code(), 137);
}

} // namespace
} // namespace microvm::base
