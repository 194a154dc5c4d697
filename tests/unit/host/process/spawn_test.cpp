#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "base/fd.hpp"
#include "process_fixture.hpp"

namespace microvm::process::test {
namespace {

using SpawnTest = ProcessTest;

TEST_F(SpawnTest, RunnerLeadsItsOwnSession) {
    auto spawned = spawn_script("echo started\nexec sleep 1000\n");
    ASSERT_TRUE(spawned) << spawned.error().text();
    EXPECT_EQ(::getsid(spawned->child.pid()), spawned->child.pid());
    EXPECT_EQ(::getpgid(spawned->child.pid()), spawned->child.pid());
    EXPECT_NE(::getsid(spawned->child.pid()), ::getsid(0));
    auto status = spawned->child.kill();
    ASSERT_TRUE(status) << status.error().text();
    EXPECT_EQ(*status, killed_by(SIGKILL));
}

TEST_F(SpawnTest, StdinIsDevNullAndOutputIsAppendedToAPrivateLog) {
    microvm::test::write_file(log(), "earlier\n");
    ::chmod(log().c_str(), 0644);
    auto spawned = spawn_script("readlink /proc/self/fd/0\necho to-stderr >&2\nexit 7\n");
    ASSERT_TRUE(spawned) << spawned.error().text();
    auto status = spawned->child.wait();
    ASSERT_TRUE(status) << status.error().text();
    EXPECT_EQ(status->code(), 7);
    EXPECT_EQ(microvm::test::read_file(log()), "earlier\n/dev/null\nto-stderr\n");
    struct stat st {};
    ASSERT_EQ(::stat(log().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u);
}

TEST_F(SpawnTest, NewLogIsCreatedPrivate) {
    auto spawned = spawn_script("echo hi\n");
    ASSERT_TRUE(spawned) << spawned.error().text();
    ASSERT_TRUE(spawned->child.wait());
    struct stat st {};
    ASSERT_EQ(::stat(log().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u);
}

TEST_F(SpawnTest, OnlyTheGivenEnvironmentAndNoInheritedDescriptors) {
    ::setenv("MICROVM_SPAWN_TEST_LEAK", "leaked", 1);
    // A descriptor without O_CLOEXEC, as an embedding program might have.
    base::Fd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    int leaked = ::dup2(null.get(), 57);
    ASSERT_EQ(leaked, 57);
    auto spawned = spawn_script("echo \"$GIVEN/${MICROVM_SPAWN_TEST_LEAK:-unset}\"\n"
                                "ls /proc/$$/fd | grep -x 57 || echo no-57\n",
                                {"GIVEN=yes", "PATH=/usr/bin:/bin"});
    ::close(leaked);
    ::unsetenv("MICROVM_SPAWN_TEST_LEAK");
    ASSERT_TRUE(spawned) << spawned.error().text();
    ASSERT_TRUE(spawned->child.wait());
    EXPECT_EQ(microvm::test::read_file(log()), "yes/unset\nno-57\n");
}

TEST_F(SpawnTest, IdentityIsTheResolvedRunner) {
    auto spawned = spawn_script("exec sleep 1000\n");
    ASSERT_TRUE(spawned) << spawned.error().text();
    auto const& identity = spawned->identity;
    EXPECT_EQ(identity.pid, spawned->child.pid());
    EXPECT_EQ(identity.exe, std::filesystem::canonical(shell));
    EXPECT_NE(identity.start_time, 0u);
    ASSERT_TRUE(spawned->child.kill());
}

TEST_F(SpawnTest, BadRunnerPathsAreErrors) {
    auto relative = spawn_runner({.runner = "sh", .config_path = "x", .log_path = log()});
    ASSERT_FALSE(relative);
    EXPECT_EQ(relative.error().text(), "spawn runner sh: runner path is not absolute: sh");

    auto missing = spawn_runner({.runner = dir() / "none", .config_path = "x", .log_path = log()});
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().text().find("resolve runner path"), std::string::npos);

    microvm::test::write_file(dir() / "plain", "not executable");
    auto plain = spawn_runner({.runner = dir() / "plain", .config_path = "x", .log_path = log()});
    ASSERT_FALSE(plain);
    EXPECT_NE(plain.error().text().find("is not executable"), std::string::npos);
}

TEST_F(SpawnTest, DroppingAnOwnedChildKillsAndReapsIt) {
    pid_t pid = 0;
    {
        auto spawned = spawn_script("exec sleep 1000\n");
        ASSERT_TRUE(spawned) << spawned.error().text();
        pid = spawned->child.pid();
    }
    // Reaped, not merely killed: not even a zombie is left.
    EXPECT_FALSE(read_stat(pid));
}

TEST_F(SpawnTest, DetachedChildIsLeftRunning) {
    auto spawned = spawn_script("exec sleep 1000\n");
    ASSERT_TRUE(spawned) << spawned.error().text();
    pid_t const pid = spawned->child.detach();
    EXPECT_FALSE(spawned->child.owned());
    { auto dropped = std::move(*spawned); }
    EXPECT_FALSE(gone(pid));
    // Take it back so the test leaves nothing behind.
    auto again = base::Child::adopt(pid, base::KillScope::process_group);
    ASSERT_TRUE(again && again->kill());
}

} // namespace
} // namespace microvm::process::test
