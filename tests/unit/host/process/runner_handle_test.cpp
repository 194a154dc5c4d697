#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <thread>

#include "host/process/runner_handle.hpp"
#include "host/process/stop.hpp"
#include "process_fixture.hpp"

namespace microvm::process::test {
namespace {

using namespace std::chrono_literals;
using RunnerHandleTest = ProcessTest;

TEST_F(RunnerHandleTest, WaitReportsTheExitStatus) {
    auto spawned = spawn_script("exit 42\n");
    ASSERT_TRUE(spawned) << spawned.error().text();
    RunnerProcessHandle handle(std::move(*spawned));
    auto status = handle.wait();
    ASSERT_TRUE(status) << status.error().text();
    EXPECT_EQ(*status, 42);
    EXPECT_FALSE(handle.alive());
    // The answer is kept, and stopping an ended VM is not an error.
    EXPECT_EQ(handle.wait().value_or(-1), 42);
    EXPECT_TRUE(handle.stop(1s));
}

TEST_F(RunnerHandleTest, StopTerminatesAndReaps) {
    auto spawned = spawn_script("sleep 1000\n");
    ASSERT_TRUE(spawned) << spawned.error().text();
    pid_t pid = spawned->child.pid();
    RunnerProcessHandle handle(std::move(*spawned));
    EXPECT_EQ(handle.id(), std::to_string(pid));
    EXPECT_TRUE(handle.alive());
    auto stopped = handle.stop(30s);
    ASSERT_TRUE(stopped) << stopped.error().text();
    EXPECT_FALSE(handle.alive());
    EXPECT_FALSE(read_stat(pid)) << "not reaped";
    EXPECT_EQ(handle.wait().value_or(-1), 128 + SIGTERM);
}

// Reaped: no process with this identity, not even a zombie. Polls without a deadline that a
// test asserts on.
bool eventually_reaped(ProcessIdentity const& identity) {
    auto reaped = [&] {
        auto const presence = check_identity(identity);
        return presence == Presence::gone || presence == Presence::replaced;
    };
    for (int i = 0; i < 2000 && !reaped(); ++i) {
        std::this_thread::sleep_for(10ms);
    }
    return reaped();
}

TEST_F(RunnerHandleTest, DroppingTheHandleLeavesTheRunnerRunning) {
    auto spawned = spawn_script("sleep 1000\n");
    ASSERT_TRUE(spawned) << spawned.error().text();
    ProcessIdentity identity = spawned->identity;
    { RunnerProcessHandle handle(std::move(*spawned)); }
    EXPECT_TRUE(alive(identity));
    ASSERT_TRUE(stop(identity, 30s));
    EXPECT_TRUE(eventually_reaped(identity));
}

// A runner that exits on its own after its handle is gone is reaped, not left a zombie of
// this process.
TEST_F(RunnerHandleTest, ARunnerExitingAfterItsHandleIsDroppedIsReaped) {
    auto const go = dir() / "go";
    ASSERT_EQ(::mkfifo(go.c_str(), 0600), 0);
    // Blocks until the test opens the FIFO, so it is still running when the handle is dropped.
    auto spawned = spawn_script("read line < " + go.string() + "\nexit 3\n");
    ASSERT_TRUE(spawned) << spawned.error().text();
    ProcessIdentity identity = spawned->identity;
    { RunnerProcessHandle handle(std::move(*spawned)); }
    EXPECT_EQ(check_identity(identity), Presence::running);

    base::Fd fifo(::open(go.c_str(), O_WRONLY | O_CLOEXEC));
    ASSERT_TRUE(fifo);
    ASSERT_EQ(::write(fifo.get(), "\n", 1), 1);
    fifo.reset();
    EXPECT_TRUE(eventually_reaped(identity));
}

TEST_F(RunnerHandleTest, AHandleFromAnIdentityStopsButCannotTellTheStatus) {
    auto spawned = spawn_script("sleep 1000\n");
    ASSERT_TRUE(spawned) << spawned.error().text();
    RunnerProcessHandle handle(spawned->identity);
    EXPECT_TRUE(handle.alive());
    ASSERT_TRUE(handle.stop(30s));
    EXPECT_FALSE(handle.alive());
    auto status = handle.wait();
    ASSERT_FALSE(status);
    EXPECT_NE(status.error().text().find("exit status is unknown"), std::string::npos);
    EXPECT_EQ(spawned->child.wait().value_or(base::ExitStatus{}), killed_by(SIGTERM));
}

TEST_F(RunnerHandleTest, StopFromAnotherThreadEndsAWait) {
    auto spawned = spawn_script("sleep 1000\n");
    ASSERT_TRUE(spawned) << spawned.error().text();
    RunnerProcessHandle handle(std::move(*spawned));
    std::thread stopper([identity = handle.identity()] { (void)stop(identity, 30s); });
    auto status = handle.wait();
    stopper.join();
    ASSERT_TRUE(status) << status.error().text();
    EXPECT_EQ(*status, 128 + SIGTERM);
}

} // namespace
} // namespace microvm::process::test
