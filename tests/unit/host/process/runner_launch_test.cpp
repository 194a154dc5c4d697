#include <sys/stat.h>

#include "host/process/runner_launch.hpp"
#include "host/state/vm_dir.hpp"
#include "process_fixture.hpp"

namespace microvm::process::test {
namespace {

namespace fs = std::filesystem;
using RunnerLaunchTest = ProcessTest;

contract::RunnerConfig valid_config(fs::path const& root) {
    contract::RunnerConfig config;
    config.engine = contract::Engine::qemu;
    config.root_path = root.string();
    config.num_vcpus = 2;
    config.ram_mib = 256;
    config.virtiofs_mounts = {{.tag = "src", .path = root.string(), .read_only = true}};
    return config;
}

TEST_F(RunnerLaunchTest, WritesAPrivateConfigWithItsRuntimeDirAndStartsTheRunnerOnIt) {
    auto const config = valid_config(dir());
    // cat stands in for the runner: it copies runner.json into the runner's log.
    auto handle = launch_runner(config, {.runner = "/bin/cat", .vm_dir = dir(), .env = {}});
    ASSERT_TRUE(handle) << handle.error().text();
    auto status = (*handle)->wait();
    ASSERT_TRUE(status) << status.error().text();
    EXPECT_EQ(*status, 0);

    auto expected = config;
    expected.runtime_dir = (dir() / "run").string();
    auto const written = microvm::test::read_file(state::VmDir(dir()).runner_config());
    EXPECT_EQ(written, contract::serialize(expected));
    EXPECT_EQ(microvm::test::read_file(state::VmDir(dir()).runner_log()), written);
    struct stat st {};
    ASSERT_EQ(::stat(state::VmDir(dir()).runner_config().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u);
}

// A config the runner would refuse fails here, in the caller's process, with nothing started.
TEST_F(RunnerLaunchTest, AnInvalidConfigIsRefusedBeforeAnythingIsWritten) {
    auto config = valid_config(dir());
    config.num_vcpus = 0;
    auto handle = launch_runner(config, {.runner = "/bin/cat", .vm_dir = dir(), .env = {}});
    ASSERT_FALSE(handle);
    EXPECT_EQ(handle.error().text(), "num_vcpus must be > 0");
    EXPECT_FALSE(fs::exists(state::VmDir(dir()).runner_config()));
    EXPECT_FALSE(fs::exists(state::VmDir(dir()).runner_log()));
}

TEST_F(RunnerLaunchTest, AMissingVmDirIsAnError) {
    auto handle = launch_runner(valid_config(dir()),
                                {.runner = "/bin/cat", .vm_dir = dir() / "none", .env = {}});
    ASSERT_FALSE(handle);
    EXPECT_NE(handle.error().text().find((dir() / "none").string()), std::string::npos)
        << handle.error().text();
}

TEST_F(RunnerLaunchTest, RuntimeDirIsAPrivateDirectoryInTheVmDirectory) {
    auto run = prepare_runtime_dir(dir());
    ASSERT_TRUE(run) << run.error().text();
    EXPECT_EQ(*run, (dir() / "run").string());
    struct stat st {};
    ASSERT_EQ(::lstat(run->c_str(), &st), 0);
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    EXPECT_EQ(st.st_mode & 0077, 0u);
    // A second start of the same VM reuses it.
    EXPECT_EQ(prepare_runtime_dir(dir()).value_or(""), *run);
}

TEST_F(RunnerLaunchTest, ASymlinkInThePlaceOfTheRuntimeDirIsRefused) {
    fs::create_directory(dir() / "elsewhere");
    fs::create_directory_symlink(dir() / "elsewhere", dir() / "run");
    EXPECT_FALSE(prepare_runtime_dir(dir()));
}

TEST_F(RunnerLaunchTest, ARuntimeDirTooDeepForSocketsIsLeftToTheEngine) {
    auto deep = dir() / std::string(contract::max_runtime_dir_length, 'd');
    fs::create_directory(deep);
    auto run = prepare_runtime_dir(deep);
    ASSERT_TRUE(run) << run.error().text();
    EXPECT_EQ(*run, "");
    EXPECT_FALSE(fs::exists(deep / "run"));
}

} // namespace
} // namespace microvm::process::test
