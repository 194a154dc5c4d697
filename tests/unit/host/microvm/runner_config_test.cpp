#include <gtest/gtest.h>

#include <filesystem>
#include <optional>

#include "base/temp_dir.hpp"
#include "host/microvm/runner_config.hpp"

namespace microvm {
namespace {

namespace fs = std::filesystem;

class RunnerConfigFor : public ::testing::Test {
protected:
    void SetUp() override {
        auto dir = base::TempDir::create("microvm-runner-config-test-");
        ASSERT_TRUE(dir);
        m_dir.emplace(std::move(*dir));
        for (auto name : {"source", "upper", "work", "ro", "rw", "vm"}) {
            fs::create_directories(path(name));
        }
    }
    fs::path path(std::string const& name) const { return m_dir->path() / name; }

    RunOptions options() const {
        RunOptions options;
        options.name = "vm1";
        options.cpus = 2;
        options.memory_mib = 768;
        options.mounts = {
            {.tag = "ro", .host_path = path("ro"), .guest_path = "/ro", .read_only = true},
            {.tag = "rw", .host_path = path("rw"), .guest_path = "/rw", .read_only = false}};
        options.ports = {
            {.host = 8080, .guest = 80, .protocol = Protocol::tcp, .host_address = "127.0.0.1"}};
        options.read_only_policy = ReadOnlyPolicy::allow_guest_only;
        options.log_level = 3;
        return options;
    }
    rootfs::RootfsView view() const {
        return {.source = path("source"), .upper_dir = path("upper"), .work_dir = path("work")};
    }
    contract::RunnerConfig make(RunOptions const& opts) const {
        return runner_config_for(opts, view(), state::VmDir(path("vm")));
    }

    std::optional<base::TempDir> m_dir;
};

// DESIGN.md §4.1: the read-only flag travels unchanged from VirtioFSMount to runner.json.
TEST_F(RunnerConfigFor, KeepsReadOnlyOnEveryShareAndThePolicy) {
    auto out = make(options());
    ASSERT_EQ(out.virtiofs_mounts.size(), 2u);
    EXPECT_EQ(out.virtiofs_mounts[0].tag, "ro");
    EXPECT_EQ(out.virtiofs_mounts[0].path, path("ro").string());
    EXPECT_TRUE(out.virtiofs_mounts[0].read_only);
    EXPECT_EQ(out.virtiofs_mounts[1].tag, "rw");
    EXPECT_FALSE(out.virtiofs_mounts[1].read_only);
    EXPECT_EQ(out.read_only_policy, ReadOnlyPolicy::allow_guest_only);

    auto parsed = contract::parse_runner_config(contract::serialize(out));
    ASSERT_TRUE(parsed) << parsed.error().text();
    EXPECT_TRUE(parsed->virtiofs_mounts[0].read_only);
    EXPECT_FALSE(parsed->virtiofs_mounts[1].read_only);
}

TEST_F(RunnerConfigFor, RootResourcesAndTheVmDirectorysFiles) {
    auto out = make(options());
    EXPECT_EQ(out.root_path, path("source").string());
    EXPECT_EQ(out.root_upper_dir, path("upper").string());
    EXPECT_EQ(out.root_work_dir, path("work").string());
    EXPECT_EQ(out.num_vcpus, 2u);
    EXPECT_EQ(out.ram_mib, 768u);
    ASSERT_EQ(out.port_forwards.size(), 1u);
    EXPECT_EQ(out.port_forwards[0].host, 8080);
    EXPECT_EQ(out.port_forwards[0].guest, 80);
    EXPECT_EQ(out.console_log_path, (path("vm") / "console.log").string());
    EXPECT_EQ(out.stdout_path, (path("vm") / "stdout.log").string());
    EXPECT_EQ(out.stderr_path, (path("vm") / "stderr.log").string());
    EXPECT_EQ(out.report_path, (path("vm") / "runner-report.json").string());
    EXPECT_EQ(out.log_level, 3u);
    // The engine's section and the runtime directory come later, from their owners.
    EXPECT_TRUE(out.runtime_dir.empty());
    EXPECT_TRUE(out.remove_dir.empty());
}

TEST_F(RunnerConfigFor, AutoRemoveHandsTheRunnerItsVmDirectory) {
    auto opts = options();
    opts.auto_remove = true;
    EXPECT_EQ(make(opts).remove_dir, path("vm").string());
}

TEST_F(RunnerConfigFor, AViewWithoutUpperBootsTheSourceItself) {
    auto out = runner_config_for(options(), {.source = path("source")}, state::VmDir(path("vm")));
    EXPECT_TRUE(out.root_upper_dir.empty());
    EXPECT_TRUE(out.root_work_dir.empty());
}

} // namespace
} // namespace microvm
