#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

#include "base/temp_dir.hpp"
#include "guest/workload.hpp"
#include "support/test_support.hpp"

namespace microvm::guest {
namespace {

namespace fs = std::filesystem;
using Strings = std::vector<std::string>;

TEST(ParseUser, EmptyIsRoot) {
    auto user = parse_user("");
    ASSERT_TRUE(user);
    EXPECT_EQ(user->uid, 0u);
    EXPECT_EQ(user->gid, 0u);
}

TEST(ParseUser, UidAndOptionalGid) {
    auto both = parse_user("1000:100");
    ASSERT_TRUE(both);
    EXPECT_EQ(both->uid, 1000u);
    EXPECT_EQ(both->gid, 100u);
    auto only_uid = parse_user("1000");
    ASSERT_TRUE(only_uid);
    EXPECT_EQ(only_uid->uid, 1000u);
    EXPECT_EQ(only_uid->gid, 0u);
}

TEST(ParseUser, RejectsNamesAndBadNumbers) {
    for (std::string bad : {"root", "1000:", ":1000", "-1", "1000:staff", "4294967295",
                            "4294967296", "10 00", "1:2:3"}) {
        auto user = parse_user(bad);
        ASSERT_FALSE(user) << bad;
        EXPECT_EQ(user.error().text(),
                  "user \"" + bad + "\" is not \"uid[:gid]\" with numeric ids");
    }
}

int wait_status_of_child(void (*body)()) {
    pid_t const pid = ::fork();
    if (pid == 0) {
        body();
        _exit(0);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return status;
}

TEST(ExitStatus, ExitCodesPassThrough) {
    EXPECT_EQ(exit_status(wait_status_of_child([] { _exit(0); })), 0);
    EXPECT_EQ(exit_status(wait_status_of_child([] { _exit(42); })), 42);
    EXPECT_EQ(exit_status(wait_status_of_child([] { _exit(255); })), 255);
}

TEST(ExitStatus, KilledBySignalIs128PlusTheSignal) {
    EXPECT_EQ(exit_status(wait_status_of_child([] { ::raise(SIGKILL); })), 128 + SIGKILL);
    EXPECT_EQ(exit_status(wait_status_of_child([] { ::raise(SIGTERM); })), 128 + SIGTERM);
}

TEST(ExecFailureStatus, NotFoundIs127AndNotExecutableIs126) {
    EXPECT_EQ(exec_failure_status(ENOENT), 127);
    EXPECT_EQ(exec_failure_status(ENOTDIR), 127);
    EXPECT_EQ(exec_failure_status(EACCES), 126);
    EXPECT_EQ(exec_failure_status(ENOEXEC), 126);
    EXPECT_EQ(exec_failure_status(EISDIR), 126);
    EXPECT_EQ(exec_failure_status(EPERM), 126);
}

TEST(WorkloadFromConfig, DefaultsToShellAsRootWithPathAndHome) {
    auto spec = workload_from_config({});
    ASSERT_TRUE(spec) << spec.error().text();
    EXPECT_EQ(spec->argv, (Strings{"/bin/sh"}));
    EXPECT_EQ(spec->cwd, "/");
    EXPECT_EQ(spec->user.uid, 0u);
    EXPECT_EQ(spec->env, (Strings{default_path, "HOME=/root"}));
}

TEST(WorkloadFromConfig, KeepsWhatTheConfigSets) {
    contract::GuestConfig config;
    config.argv = {"echo", "hi"};
    config.env = {"PATH=/bin", "HOME=/home/u", "A=1"};
    config.cwd = "/work";
    config.user = "1000:1000";
    auto spec = workload_from_config(config);
    ASSERT_TRUE(spec) << spec.error().text();
    EXPECT_EQ(spec->argv, config.argv);
    EXPECT_EQ(spec->env, config.env);
    EXPECT_EQ(spec->cwd, "/work");
    EXPECT_EQ(spec->user.uid, 1000u);
    EXPECT_EQ(spec->user.gid, 1000u);
}

TEST(WorkloadFromConfig, NonRootHomeIsSlash) {
    contract::GuestConfig config;
    config.user = "1000";
    config.env = {"PATHX=1"};
    auto spec = workload_from_config(config);
    ASSERT_TRUE(spec);
    EXPECT_EQ(spec->env, (Strings{"PATHX=1", default_path, "HOME=/"}));
}

TEST(WorkloadFromConfig, BadUserOrEmptyCommandIsAnError) {
    contract::GuestConfig config;
    config.user = "nobody";
    EXPECT_FALSE(workload_from_config(config));
    config.user = "";
    config.argv = {""};
    EXPECT_FALSE(workload_from_config(config));
}

TEST(ExecCandidates, SlashMeansThePathItself) {
    EXPECT_EQ(exec_candidates("./run", "/bin"), (Strings{"./run"}));
    EXPECT_EQ(exec_candidates("/bin/sh", "/usr/bin"), (Strings{"/bin/sh"}));
}

TEST(ExecCandidates, SearchesEachPathEntryInOrder) {
    EXPECT_EQ(exec_candidates("ls", "/usr/bin:/bin::/sbin"),
              (Strings{"/usr/bin/ls", "/bin/ls", "./ls", "/sbin/ls"}));
}

// Runs a workload as the current user, its output in files, and returns its status.
struct Ran {
    int status;
    std::string out;
    std::string err;
};

Ran run(WorkloadSpec spec) {
    auto dir = base::TempDir::create("microvm-workload-test-");
    EXPECT_TRUE(dir);
    auto const out_path = dir->path() / "out";
    auto const err_path = dir->path() / "err";
    int const out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    int const err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    int const in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    spec.user = {.uid = ::getuid(), .gid = ::getgid()};
    auto pid = start_workload(spec, {.stdin_fd = in, .stdout_fd = out, .stderr_fd = err});
    EXPECT_TRUE(pid) << pid.error().text();
    int const status = pid ? wait_for_workload(*pid) : -1;
    ::close(out);
    ::close(err);
    ::close(in);
    return {status, microvm::test::read_file(out_path), microvm::test::read_file(err_path)};
}

TEST(StartWorkload, RunsWithArgvEnvAndCwdAndReturnsTheStatus) {
    auto ran = run({.argv = {"sh", "-c", "echo \"$GREETING $(pwd)\"; echo oops >&2; exit 42"},
                    .env = {"PATH=/usr/bin:/bin", "GREETING=hello"},
                    .cwd = "/tmp",
                    .user = {}});
    EXPECT_EQ(ran.status, 42);
    EXPECT_EQ(ran.out, "hello /tmp\n");
    EXPECT_EQ(ran.err, "oops\n");
}

TEST(StartWorkload, RunsInANewSessionWithNullStdin) {
    auto ran = run({.argv = {"/bin/sh", "-c",
                             "cat; "
                             "test \"$(cut -d' ' -f6 /proc/$$/stat)\" = $$"},
                    .env = {"PATH=/usr/bin:/bin"},
                    .cwd = "/",
                    .user = {}});
    EXPECT_EQ(ran.status, 0) << ran.err;
}

TEST(StartWorkload, KilledBySignal) {
    auto ran = run({.argv = {"/bin/sh", "-c", "kill -TERM $$"},
                    .env = {"PATH=/usr/bin:/bin"},
                    .cwd = "/",
                    .user = {}});
    EXPECT_EQ(ran.status, 128 + SIGTERM);
}

TEST(StartWorkload, CommandNotFoundIs127) {
    auto ran = run({.argv = {"no-such-command-microvm"},
                    .env = {"PATH=/usr/bin:/bin"},
                    .cwd = "/",
                    .user = {}});
    EXPECT_EQ(ran.status, 127);
    EXPECT_EQ(ran.err, "microvm-init: exec no-such-command-microvm: not found in PATH\n");
    auto absolute = run({.argv = {"/no-such-command-microvm"}, .env = {}, .cwd = "/", .user = {}});
    EXPECT_EQ(absolute.status, 127);
    EXPECT_EQ(absolute.err,
              "microvm-init: exec /no-such-command-microvm: No such file or directory\n");
}

TEST(StartWorkload, NotExecutableIs126) {
    auto dir = base::TempDir::create("microvm-workload-test-");
    ASSERT_TRUE(dir);
    auto const script = dir->path() / "script";
    microvm::test::write_file(script, "#!/bin/sh\nexit 0\n");
    ::chmod(script.c_str(), 0644);
    auto ran = run({.argv = {script.string()}, .env = {}, .cwd = "/", .user = {}});
    // root may execute a file without x bits only if some x bit is set; none is here.
    EXPECT_EQ(ran.status, 126);
    EXPECT_NE(ran.err.find("Permission denied"), std::string::npos) << ran.err;
    auto directory = run({.argv = {dir->path().string()}, .env = {}, .cwd = "/", .user = {}});
    EXPECT_EQ(directory.status, 126);
}

TEST(StartWorkload, MissingWorkingDirectoryIs125) {
    auto ran = run({.argv = {"/bin/true"}, .env = {}, .cwd = "/nonexistent-cwd", .user = {}});
    EXPECT_EQ(ran.status, 125);
    EXPECT_EQ(ran.err, "microvm-init: chdir /nonexistent-cwd: No such file or directory\n");
}

} // namespace
} // namespace microvm::guest
