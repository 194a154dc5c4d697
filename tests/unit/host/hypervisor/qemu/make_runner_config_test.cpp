#include <gtest/gtest.h>

#include <filesystem>
#include <optional>

#include "base/temp_dir.hpp"
#include "host/hypervisor/qemu/make_runner_config.hpp"

namespace microvm::hypervisor::qemu {
namespace {

namespace fs = std::filesystem;

class MakeRunnerConfig : public ::testing::Test {
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

    VmConfig config() const {
        return VmConfig{
            .name = "vm1",
            .root = {.source = path("source"),
                     .upper_dir = path("upper"),
                     .work_dir = path("work")},
            .cpus = 2,
            .memory_mib = 768,
            .mounts = {{.tag = "ro", .host_path = path("ro"), .read_only = true},
                       {.tag = "rw", .host_path = path("rw"), .read_only = false}},
            .ports = {{.host = 8080,
                       .guest = 80,
                       .protocol = Protocol::tcp,
                       .host_address = "127.0.0.1"}},
            .read_only_policy = ReadOnlyPolicy::allow_guest_only,
            .log_level = 3,
            .vm_dir = path("vm"),
            .console_log_path = path("vm") / "console.log",
            .stdout_path = path("vm") / "stdout",
            .stderr_path = path("vm") / "stderr",
            .result_path = path("vm") / "result.json",
            .kernel = {},
        };
    }

    std::optional<base::TempDir> m_dir;
};

TEST_F(MakeRunnerConfig, KeepsReadOnlyOnEveryShare) {
    auto out = make_runner_config(config(), "/boot/vmlinuz-x", "/data/initramfs/k.cpio.gz");
    ASSERT_EQ(out.virtiofs_mounts.size(), 2u);
    EXPECT_EQ(out.virtiofs_mounts[0].tag, "ro");
    EXPECT_EQ(out.virtiofs_mounts[0].path, path("ro").string());
    EXPECT_TRUE(out.virtiofs_mounts[0].read_only);
    EXPECT_EQ(out.virtiofs_mounts[1].tag, "rw");
    EXPECT_FALSE(out.virtiofs_mounts[1].read_only);
    EXPECT_EQ(out.read_only_policy, ReadOnlyPolicy::allow_guest_only);
}

TEST_F(MakeRunnerConfig, ReadOnlySurvivesTheJsonRoundTrip) {
    auto out = make_runner_config(config(), "/boot/vmlinuz-x", "/data/initramfs/k.cpio.gz");
    auto parsed = contract::parse_runner_config(contract::serialize(out));
    ASSERT_TRUE(parsed) << parsed.error().text();
    ASSERT_EQ(parsed->virtiofs_mounts.size(), 2u);
    EXPECT_TRUE(parsed->virtiofs_mounts[0].read_only);
    EXPECT_FALSE(parsed->virtiofs_mounts[1].read_only);
    EXPECT_EQ(parsed->engine, contract::Engine::qemu);
    EXPECT_EQ(parsed->qemu.kernel, "/boot/vmlinuz-x");
    EXPECT_EQ(parsed->qemu.initrd, "/data/initramfs/k.cpio.gz");
    EXPECT_EQ(parsed->root_upper_dir, path("upper").string());
}

TEST_F(MakeRunnerConfig, RootResourcesOutputsAndEngine) {
    contract::QemuSettings settings;
    settings.binary = "/opt/qemu/bin/qemu-system-x86_64";
    settings.accel = "tcg";
    auto out = make_runner_config(config(), "/k", "/i", settings);
    EXPECT_EQ(out.engine, contract::Engine::qemu);
    EXPECT_EQ(out.root_path, path("source").string());
    EXPECT_EQ(out.root_upper_dir, path("upper").string());
    EXPECT_EQ(out.root_work_dir, path("work").string());
    EXPECT_EQ(out.num_vcpus, 2u);
    EXPECT_EQ(out.ram_mib, 768u);
    ASSERT_EQ(out.port_forwards.size(), 1u);
    EXPECT_EQ(out.port_forwards[0].host, 8080);
    EXPECT_EQ(out.port_forwards[0].guest, 80);
    EXPECT_EQ(out.console_log_path, (path("vm") / "console.log").string());
    EXPECT_EQ(out.stdout_path, (path("vm") / "stdout").string());
    EXPECT_EQ(out.stderr_path, (path("vm") / "stderr").string());
    EXPECT_EQ(out.result_path, (path("vm") / "result.json").string());
    EXPECT_EQ(out.log_level, 3u);
    EXPECT_EQ(out.qemu.binary, "/opt/qemu/bin/qemu-system-x86_64");
    EXPECT_EQ(out.qemu.accel, "tcg");
    EXPECT_EQ(out.qemu.kernel, "/k");
    EXPECT_EQ(out.qemu.initrd, "/i");
    EXPECT_TRUE(contract::validate(out)) << contract::validate(out).error().text();
}

TEST_F(MakeRunnerConfig, ViewWithoutUpperBootsTheSourceItself) {
    auto vm = config();
    vm.root.upper_dir.clear();
    vm.root.work_dir.clear();
    auto out = make_runner_config(vm, "/k", "/i");
    EXPECT_TRUE(out.root_upper_dir.empty());
    EXPECT_TRUE(out.root_work_dir.empty());
}

} // namespace
} // namespace microvm::hypervisor::qemu
