#include <sys/stat.h>

#include "host/process/runner_launch.hpp"
#include "process_fixture.hpp"

namespace microvm::process::test {
namespace {

using RunnerLaunchTest = ProcessTest;

TEST_F(RunnerLaunchTest, WritesAPrivateConfigAndStartsTheRunnerOnIt) {
    contract::RunnerConfig config;
    config.root_path = "/srv/root";
    config.num_vcpus = 2;
    config.ram_mib = 256;
    config.virtiofs_mounts = {{.tag = "src", .path = "/srv/src", .read_only = true}};
    // cat stands in for the runner: it copies runner.json into the runner's log.
    auto handle = launch_runner(config, {.runner = "/bin/cat", .vm_dir = dir(), .env = {}});
    ASSERT_TRUE(handle) << handle.error().text();
    auto status = (*handle)->wait();
    ASSERT_TRUE(status) << status.error().text();
    EXPECT_EQ(*status, 0);

    auto const written = microvm::test::read_file(dir() / runner_config_file);
    EXPECT_EQ(written, contract::serialize(config));
    EXPECT_EQ(microvm::test::read_file(dir() / runner_log_file), written);
    struct stat st {};
    ASSERT_EQ(::stat((dir() / runner_config_file).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u);
}

TEST_F(RunnerLaunchTest, AMissingVmDirIsAnError) {
    auto handle = launch_runner({}, {.runner = "/bin/cat", .vm_dir = dir() / "none", .env = {}});
    ASSERT_FALSE(handle);
    EXPECT_EQ(handle.error().text().rfind("launch runner in " + (dir() / "none").string(), 0), 0u)
        << handle.error().text();
}

} // namespace
} // namespace microvm::process::test
