#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>

#include "base/command.hpp"
#include "base/fd.hpp"

namespace microvm::base {
namespace {

using ::testing::HasSubstr;

Command command(std::vector<std::string> argv, std::vector<FdMapping> fds = {}) {
    std::string const path = argv.front();
    return {.path = path,
            .argv = std::move(argv),
            .fds = std::move(fds),
            .death_signal = SIGKILL,
            .before_exec = {}};
}

std::string read_all(int fd) {
    std::string text;
    char chunk[256];
    ssize_t got;
    while ((got = ::read(fd, chunk, sizeof(chunk))) > 0) {
        text.append(chunk, static_cast<std::size_t>(got));
    }
    return text;
}

std::string read_file(std::string const& path) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    return fd ? read_all(fd.get()) : std::string();
}

TEST(Spawn, RunsTheProgramAndReportsItsExitStatus) {
    auto child = spawn(command({"/bin/sh", "-c", "exit 3"}));
    ASSERT_TRUE(child) << child.error().text();
    auto const status = child->wait();
    ASSERT_TRUE(status);
    EXPECT_EQ(status->kind, ExitStatus::Kind::exited);
    EXPECT_EQ(status->value, 3);
    EXPECT_EQ(status->describe(), "exit status 3");
    EXPECT_FALSE(child->owned());
}

TEST(Spawn, AMissingProgramIsReportedWithItsPath) {
    auto child = spawn(command({"/nonexistent/program"}));
    ASSERT_FALSE(child);
    EXPECT_EQ(child.error().errno_value(), ENOENT);
    EXPECT_THAT(child.error().text(), HasSubstr("execve /nonexistent/program"));
}

TEST(Spawn, ARelativePathIsRefused) {
    auto child = spawn(command({"sh", "-c", "true"}));
    ASSERT_FALSE(child);
    EXPECT_THAT(child.error().text(), HasSubstr("not an absolute path"));
}

TEST(Spawn, MapsDescriptorsAndConnectsTheRestOfStdioToDevNull) {
    int out[2];
    ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
    Fd read_end(out[0]);
    Fd write_end(out[1]);
    // fd 5 in the child is the pipe; stdin reads nothing; fd 1 is /dev/null.
    auto child = spawn(
        command({"/bin/sh", "-c", "echo hidden; cat; echo visible >&5"}, {{write_end.get(), 5}}));
    ASSERT_TRUE(child) << child.error().text();
    write_end.reset();
    EXPECT_EQ(read_all(read_end.get()), "visible\n");
    EXPECT_TRUE(child->wait()->success());
}

TEST(Spawn, DescriptorsThatSwapPlacesBothArrive) {
    int a[2], b[2];
    ASSERT_EQ(::pipe2(a, O_CLOEXEC), 0);
    ASSERT_EQ(::pipe2(b, O_CLOEXEC), 0);
    Fd a_read(a[0]), a_write(a[1]), b_read(b[0]), b_write(b[1]);
    // Each source descriptor number is the other's target.
    auto child = spawn(command({"/bin/sh", "-c",
                                "echo a >&" + std::to_string(b_write.get()) + "; echo b >&" +
                                    std::to_string(a_write.get())},
                               {{a_write.get(), b_write.get()}, {b_write.get(), a_write.get()}}));
    ASSERT_TRUE(child) << child.error().text();
    a_write.reset();
    b_write.reset();
    EXPECT_EQ(read_all(a_read.get()), "a\n");
    EXPECT_EQ(read_all(b_read.get()), "b\n");
    EXPECT_TRUE(child->wait()->success());
}

TEST(Spawn, UnmappedDescriptorsAreNotInherited) {
    Fd leaked(::open("/dev/null", O_RDONLY)); // deliberately not close-on-exec
    ASSERT_TRUE(leaked);
    auto child = spawn(
        command({"/bin/sh", "-c", "[ ! -e /proc/self/fd/" + std::to_string(leaked.get()) + " ]"}));
    ASSERT_TRUE(child) << child.error().text();
    EXPECT_TRUE(child->wait()->success());
}

TEST(Spawn, AFailingStepIsReportedAndNothingIsExecuted) {
    auto cmd = command({"/bin/true"});
    cmd.before_exec = [] {
        return ChildStepStatus{EPERM, "my step"};
    };
    auto child = spawn(cmd);
    ASSERT_FALSE(child);
    EXPECT_EQ(child.error().errno_value(), EPERM);
    EXPECT_THAT(child.error().text(), HasSubstr("my step"));
}

TEST(Spawn, SignalsAreResetForTheChild) {
    sigset_t set, previous;
    ::sigemptyset(&set);
    ::sigaddset(&set, SIGTERM);
    ASSERT_EQ(::sigprocmask(SIG_BLOCK, &set, &previous), 0);
    auto child = spawn(command({"/bin/sleep", "100"}));
    ::sigprocmask(SIG_SETMASK, &previous, nullptr);
    ASSERT_TRUE(child) << child.error().text();
    ASSERT_TRUE(child->signal(SIGTERM));
    auto const status = child->wait();
    ASSERT_TRUE(status);
    EXPECT_EQ(status->kind, ExitStatus::Kind::signaled);
    EXPECT_EQ(status->value, SIGTERM);
}

TEST(Spawn, AnExplicitEnvironmentIsTheWholeEnvironment) {
    ::setenv("MICROVM_COMMAND_TEST_LEAK", "leaked", 1);
    int out[2];
    ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
    Fd read_end(out[0]);
    Fd write_end(out[1]);
    auto cmd = command({"/bin/sh", "-c", "echo \"$GIVEN/${MICROVM_COMMAND_TEST_LEAK:-unset}\""},
                       {{write_end.get(), 1}});
    cmd.env = std::vector<std::string>{"GIVEN=yes"};
    auto child = spawn(cmd);
    ::unsetenv("MICROVM_COMMAND_TEST_LEAK");
    ASSERT_TRUE(child) << child.error().text();
    write_end.reset();
    EXPECT_EQ(read_all(read_end.get()), "yes/unset\n");
    EXPECT_TRUE(child->wait()->success());
}

// In a new session the child leads its own group, and kill() reaches what it started.
TEST(Spawn, ANewSessionIsKilledAsAGroup) {
    int out[2];
    ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
    Fd read_end(out[0]);
    Fd write_end(out[1]);
    auto cmd = command({"/bin/sh", "-c", "sleep 100 & echo $!; wait"}, {{write_end.get(), 1}});
    cmd.session = Session::new_session;
    auto child = spawn(cmd);
    ASSERT_TRUE(child) << child.error().text();
    write_end.reset();
    EXPECT_EQ(::getsid(child->pid()), child->pid());
    char line[32] = {};
    ASSERT_GT(::read(read_end.get(), line, sizeof(line) - 1), 0);
    pid_t const grandchild = std::atoi(line);
    ASSERT_GT(grandchild, 1);
    auto const status = child->kill();
    ASSERT_TRUE(status) << status.error().text();
    EXPECT_EQ(status->value, SIGKILL);
    // The grandchild was killed too. Someone else reaps it, so a zombie counts as gone.
    auto gone = [grandchild] {
        std::string const stat = read_file("/proc/" + std::to_string(grandchild) + "/stat");
        auto const close = stat.rfind(')');
        return close == std::string::npos || stat.substr(close + 2, 1) == "Z";
    };
    for (int i = 0; i < 2000 && !gone(); ++i) {
        ::usleep(10000);
    }
    EXPECT_TRUE(gone());
}

TEST(RunInChild, ReportsTheStepsOutcome) {
    EXPECT_TRUE(run_in_child([] { return ChildStepStatus::ok(); }));
    auto const failed = run_in_child([] { return ChildStepStatus{EACCES, "probe"}; });
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().errno_value(), EACCES);
    EXPECT_THAT(failed.error().text(), HasSubstr("probe"));
}

} // namespace
} // namespace microvm::base
