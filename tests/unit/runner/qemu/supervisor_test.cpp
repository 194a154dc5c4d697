#include <gtest/gtest.h>
#include <signal.h>

#include "base/command.hpp"
#include "runner/engine/qemu/supervisor.hpp"

namespace microvm::runner::qemu {
namespace {

base::Child start(std::vector<std::string> argv) {
    auto child = base::spawn({.path = argv.front(),
                              .argv = argv,
                              .fds = {},
                              .death_signal = SIGKILL,
                              .before_exec = {}});
    EXPECT_TRUE(child) << child.error().text();
    return std::move(*child);
}

TEST(Supervisor, ReturnsWhenQemuExitsAndLeavesTheDaemonsToStopDaemons) {
    auto signals = StopSignals::block();
    ASSERT_TRUE(signals);
    base::Child qemu = start({"/bin/sh", "-c", "exit 3"});
    std::vector<ShareDaemon> daemons;
    daemons.push_back({.tag = "data", .child = start({"/bin/sleep", "100"})});
    auto const outcome = supervise(qemu, daemons, *signals, "/nonexistent/control.sock");
    ASSERT_TRUE(outcome) << outcome.error().text();
    EXPECT_EQ(outcome->qemu.kind, base::ExitStatus::Kind::exited);
    EXPECT_EQ(outcome->qemu.value, 3);
    EXPECT_EQ(outcome->stop_signal, 0);
    EXPECT_FALSE(outcome->stopped_for_dead_share);
    EXPECT_FALSE(qemu.owned());
    EXPECT_TRUE(daemons[0].child.owned());
    stop_daemons(daemons);
    EXPECT_FALSE(daemons[0].child.owned());
}

// Without a QMP socket the stop request falls back to qemu's own SIGTERM handling.
TEST(Supervisor, AStopSignalStopsQemu) {
    auto signals = StopSignals::block();
    ASSERT_TRUE(signals);
    base::Child qemu = start({"/bin/sleep", "100"});
    std::vector<ShareDaemon> daemons;
    ASSERT_EQ(::raise(SIGTERM), 0); // pending: blocked, read through the signalfd
    auto const outcome = supervise(qemu, daemons, *signals, "/nonexistent/control.sock");
    ASSERT_TRUE(outcome) << outcome.error().text();
    EXPECT_EQ(outcome->stop_signal, SIGTERM);
    EXPECT_EQ(outcome->qemu.kind, base::ExitStatus::Kind::signaled);
    EXPECT_EQ(outcome->qemu.value, SIGTERM);
}

TEST(Supervisor, ADaemonThatDiesWhileQemuRunsStopsTheVm) {
    auto signals = StopSignals::block();
    ASSERT_TRUE(signals);
    base::Child qemu = start({"/bin/sleep", "100"});
    std::vector<ShareDaemon> daemons;
    daemons.push_back({.tag = "root", .child = start({"/bin/sleep", "100"})});
    daemons.push_back({.tag = "data", .child = start({"/bin/sh", "-c", "exit 1"})});
    auto const outcome = supervise(qemu, daemons, *signals, "/nonexistent/control.sock");
    ASSERT_TRUE(outcome) << outcome.error().text();
    EXPECT_TRUE(outcome->stopped_for_dead_share);
    EXPECT_EQ(outcome->dead_share, "data");
    EXPECT_EQ(outcome->dead_share_status.value, 1);
    EXPECT_EQ(outcome->qemu.kind, base::ExitStatus::Kind::signaled);
    stop_daemons(daemons);
    EXPECT_FALSE(daemons[0].child.owned());
}

} // namespace
} // namespace microvm::runner::qemu
