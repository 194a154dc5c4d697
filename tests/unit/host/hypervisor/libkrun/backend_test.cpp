#include <gtest/gtest.h>

#include <filesystem>

#include "base/temp_dir.hpp"
#include "host/hypervisor/libkrun/backend.hpp"
#include "host/hypervisor/libkrun/runner_config.hpp"
#include "host/process/runner_launch.hpp"
#include "support/test_support.hpp"

namespace microvm::hypervisor::libkrun {
namespace {

TEST(LibkrunBackend, StartsTheRunnerOnItsConfig) {
    auto dir = base::TempDir::create("microvm-libkrun-backend-test-");
    ASSERT_TRUE(dir) << dir.error().text();
    // cat stands in for microvm-runner: it copies runner.json into the runner's log.
    LibkrunBackend backend({.runner = "/bin/cat", .library = "libkrun.so.1", .runner_env = {}});
    EXPECT_EQ(backend.name(), "libkrun");

    VmConfig config;
    config.name = "t";
    config.root.source = dir->path();
    config.vm_dir = dir->path();
    config.mounts = {{.tag = "ro", .host_path = dir->path(), .read_only = true}};
    auto handle = backend.start(config);
    ASSERT_TRUE(handle) << handle.error().text();
    auto status = (*handle)->wait();
    ASSERT_TRUE(status) << status.error().text();
    EXPECT_EQ(*status, 0);
    auto expected = build_runner_config(config, "libkrun.so.1");
    // The runner's sockets and status file go to the VM's directory, made for it.
    expected.runtime_dir = (dir->path() / "run").string();
    EXPECT_TRUE(std::filesystem::is_directory(expected.runtime_dir));
    EXPECT_EQ(microvm::test::read_file(dir->path() / process::runner_log_file),
              contract::serialize(expected));
}

TEST(LibkrunBackend, NeedsAVmDirectory) {
    LibkrunBackend backend({.runner = "/bin/cat", .library = "libkrun.so.1", .runner_env = {}});
    VmConfig config;
    config.name = "t";
    auto handle = backend.start(config);
    ASSERT_FALSE(handle);
    EXPECT_EQ(handle.error().text(), "start vm \"t\" with libkrun: vm_dir is required");
}

TEST(LibkrunBackend, RefusesAnInvalidConfigBeforeSpawning) {
    auto dir = base::TempDir::create("microvm-libkrun-backend-test-");
    ASSERT_TRUE(dir) << dir.error().text();
    LibkrunBackend backend({.runner = "/bin/cat", .library = "libkrun.so.1", .runner_env = {}});
    VmConfig config;
    config.name = "t";
    config.root.source = dir->path() / "missing";
    config.vm_dir = dir->path();
    auto handle = backend.start(config);
    ASSERT_FALSE(handle);
    EXPECT_NE(handle.error().text().find("root path not found"), std::string::npos)
        << handle.error().text();
    EXPECT_FALSE(std::filesystem::exists(dir->path() / process::runner_log_file));
}

TEST(LibkrunBackend, PrepareRootfsKeepsTheView) {
    LibkrunBackend backend({.runner = "/bin/cat", .library = "libkrun.so.1", .runner_env = {}});
    RootfsView view{.source = "/a", .upper_dir = "/b", .work_dir = "/c"};
    auto prepared = backend.prepare_rootfs(view);
    ASSERT_TRUE(prepared);
    EXPECT_EQ(prepared->source, view.source);
    EXPECT_EQ(prepared->upper_dir, view.upper_dir);
}

} // namespace
} // namespace microvm::hypervisor::libkrun
