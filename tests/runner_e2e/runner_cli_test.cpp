// microvm-runner's front: arguments, runner.json errors (exit 125, DESIGN.md §4.2) and the
// process state it hands to the engine.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runner_fixture.hpp"

extern char** environ;

namespace microvm::test {
namespace {

using nlohmann::json;

class RunnerCliTest : public RunnerTest {
protected:
    // The whole of stderr for a config rejected with `message`.
    std::string rejected(std::string const& message) const {
        return "microvm-runner: invalid configuration: " + config_path() + ": " + message + "\n";
    }
};

TEST_F(RunnerCliTest, UsageErrorsExit125) {
    auto run = run_args({runner()});
    EXPECT_EQ(run.exit_code, 125);
    EXPECT_TRUE(run.err.starts_with("usage: microvm-runner PATH|-\n")) << run.err;

    run = run_args({runner(), config_path(), "extra"});
    EXPECT_EQ(run.exit_code, 125);
    EXPECT_TRUE(run.err.starts_with("usage: microvm-runner PATH|-\n")) << run.err;

    run = run_args({runner(), "--help"});
    EXPECT_EQ(run.exit_code, 0);
    EXPECT_TRUE(run.out.starts_with("usage: microvm-runner PATH|-\n")) << run.out;
}

TEST_F(RunnerCliTest, MissingConfigFileExits125) {
    auto run = run_args({runner(), path("absent.json")});
    EXPECT_EQ(run.exit_code, 125);
    EXPECT_EQ(run.err, "microvm-runner: invalid configuration: open " + path("absent.json") +
                           ": No such file or directory\n");
}

TEST_F(RunnerCliTest, InvalidConfigsExit125WithTheMessage) {
    struct Case {
        char const* key;
        json value; // null: remove the key
        std::string message;
    };
    std::vector<Case> const cases = {
        {"root_path", nullptr, "root_path is required"},
        {"num_vcpus", 0, "num_vcpus must be > 0"},
        {"ram_mib", 0, "ram_mib must be > 0"},
        {"root_path", path("absent"), "root path not found: " + path("absent")},
        {"root_path", path("file"), "root path is not a directory: " + path("file")},
        {"num_vcpus", "2", "num_vcpus must be an integer in 0..4294967295"},
        {"virtiofs_mounts",
         {{{"tag", "data"}, {"path", path("data")}}, {{"tag", "data"}, {"path", path("src")}}},
         "virtiofs_mounts[1]: duplicate tag \"data\""},
        {"virtiofs_mounts",
         {{{"tag", ""}, {"path", path("data")}}},
         "virtiofs_mounts[0]: tag must not be empty"},
        {"virtiofs_mounts",
         {{{"tag", "data"}, {"path", path("absent")}}},
         "virtiofs_mounts[0] (tag \"data\"): share path not found: " + path("absent")},
        {"engine", "vmware", "engine: unknown engine \"vmware\" (expected one of libkrun, qemu)"},
    };
    for (auto const& c : cases) {
        json document = config();
        if (c.value.is_null()) {
            document.erase(c.key);
        } else {
            document[c.key] = c.value;
        }
        auto run = this->run(document);
        EXPECT_EQ(run.exit_code, 125) << c.message;
        EXPECT_EQ(run.err, rejected(c.message));
        EXPECT_TRUE(run.calls.empty()) << c.message;
    }
}

TEST_F(RunnerCliTest, UnparsableConfigExits125) {
    auto run = run_text("{\"root_path\": ");
    EXPECT_EQ(run.exit_code, 125);
    EXPECT_TRUE(run.err.starts_with("microvm-runner: invalid configuration: " + config_path() +
                                    ": not valid JSON: "))
        << run.err;
}

TEST_F(RunnerCliTest, ReadsTheConfigFromStandardInput) {
    auto run = run_args({runner(), "-"}, {}, config().dump());
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.calls, concat(prologue(), {"krun_start_enter ctx=0"}));

    run = run_args({runner(), "-"}, {}, "{}");
    EXPECT_EQ(run.exit_code, 125);
    EXPECT_EQ(run.err, "microvm-runner: invalid configuration: standard input: root_path is "
                       "required\n");
}

TEST_F(RunnerCliTest, UnknownKeysAreIgnored) {
    json document = config();
    document["added_by_a_newer_host"] = {1, 2, 3};
    auto run = this->run(document);
    EXPECT_EQ(run.exit_code, 0) << run.err;
}

// Spawns the runner with an extra inherited descriptor, SIGUSR1 blocked and SIGUSR2 ignored;
// the fake reports what is left of them when the VM would start.
TEST_F(RunnerCliTest, EngineStartsFromASanitizedProcess) {
    write_file(config_path(), config().dump());
    std::filesystem::remove(log_path());

    std::string const log_env = "MICROVM_FAKE_KRUN_LOG=" + log_path();
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) {
        env_strings.emplace_back(*e);
    }
    env_strings.push_back(log_env);
    env_strings.push_back("MICROVM_FAKE_KRUN_PROCESS_STATE=1");
    std::vector<char*> envp;
    for (auto& e : env_strings) {
        envp.push_back(e.data());
    }
    envp.push_back(nullptr);
    std::string runner_path = runner();
    std::string config_arg = config_path();
    char* argv[] = {runner_path.data(), config_arg.data(), nullptr};

    int extra = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(extra, 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, extra, 9); // dup2 clears O_CLOEXEC on 9
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t blocked;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGUSR1);
    posix_spawnattr_setsigmask(&attributes, &blocked);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);
    // An ignored disposition survives exec; restored right after the spawn.
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    struct sigaction previous {};
    ::sigaction(SIGUSR2, &ignore, &previous);
    pid_t pid = -1;
    int rc = ::posix_spawn(&pid, argv[0], &actions, &attributes, argv, envp.data());
    ::sigaction(SIGUSR2, &previous, nullptr);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    ::close(extra);
    ASSERT_EQ(rc, 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);

    auto lines = calls();
    ASSERT_GE(lines.size(), 2u);
    EXPECT_EQ(lines[lines.size() - 2], "process fds=0,1,2 blocked=none ignored=none");
}

} // namespace
} // namespace microvm::test
