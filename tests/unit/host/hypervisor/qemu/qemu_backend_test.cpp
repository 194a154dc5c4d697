#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "base/temp_dir.hpp"
#include "contract/runner_config.hpp"
#include "host/hypervisor/qemu/kernel_cache.hpp"
#include "host/hypervisor/qemu/qemu_backend.hpp"
#include "support/test_support.hpp"

namespace microvm::hypervisor::qemu {
namespace {

namespace fs = std::filesystem;

// A fake system (kernel, modules, init) and a fake runner: a shell script that copies the
// runner.json it was given next to it and exits 7.
class QemuBackendTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto dir = base::TempDir::create("microvm-qemu-backend-test-");
        ASSERT_TRUE(dir);
        m_dir.emplace(std::move(*dir));
        for (auto sub : {"boot", "data", "bin", "vm", "source", "ro"}) {
            fs::create_directories(root() / sub);
        }
        auto modules = root() / "modules/6.1.0-9-amd64";
        fs::create_directories(modules);
        test::write_file(root() / "boot/vmlinuz-6.1.0-9-amd64", "kernel");
        test::write_file(modules / "modules.dep",
                         "virtio_pci.ko:\nvirtiofs.ko:\nvirtio_console.ko:\nvirtio_net.ko:\n");
        // virtio_net: a VM has a NIC unless its network is "none".
        for (auto name : {"virtio_pci", "virtiofs", "virtio_console", "virtio_net"}) {
            test::write_file(modules / (std::string(name) + ".ko"), name);
        }
        test::write_file(root() / "bin/microvm-init", "init");
        test::write_file(runner(), "#!/bin/sh\ncp \"$1\" \"$1.seen\"\nexit 7\n");
        ::chmod(runner().c_str(), 0755);
        ::unsetenv("MICROVM_KERNEL");
    }
    fs::path root() const { return m_dir->path(); }
    fs::path runner() const { return root() / "bin/microvm-runner"; }

    QemuBackend backend() const {
        return QemuBackend(QemuBackendOptions{
            .data_dir = root() / "data",
            .runner = runner(),
            .init_binary = {},
            .boot_dir = root() / "boot",
            .modules_root = root() / "modules",
            .kernel_cache_roots = std::vector<fs::path>{root() / "kernels"},
            .qemu = {},
            .runner_env = std::vector<std::string>{"PATH=/usr/bin:/bin"},
        });
    }
    VmConfig config() const {
        VmConfig config;
        config.name = "vm1";
        config.root = {.source = root() / "source", .upper_dir = {}, .work_dir = {}};
        config.mounts = {{.tag = "ro", .host_path = root() / "ro", .read_only = true}};
        config.vm_dir = root() / "vm";
        config.console_log_path = root() / "vm/console.log";
        return config;
    }

    std::optional<base::TempDir> m_dir;
};

TEST_F(QemuBackendTest, StartsTheRunnerOnAQemuRunnerJson) {
    auto qemu = backend();
    EXPECT_EQ(qemu.name(), "qemu");
    auto handle = qemu.start(config());
    ASSERT_TRUE(handle) << handle.error().text();
    auto status = (*handle)->wait();
    ASSERT_TRUE(status) << status.error().text();
    EXPECT_EQ(*status, 7);

    auto seen = contract::parse_runner_config(test::read_file(root() / "vm/runner.json.seen"));
    ASSERT_TRUE(seen) << seen.error().text();
    EXPECT_EQ(seen->engine, contract::Engine::qemu);
    EXPECT_EQ(seen->qemu.kernel, (root() / "boot/vmlinuz-6.1.0-9-amd64").string());
    // A distribution kernel has virtio-mmio as a module: PCI it is.
    EXPECT_EQ(seen->qemu.machine, "q35");
    EXPECT_EQ(qemu.booted_kernel(),
              "6.1.0-9-amd64 (" + (root() / "boot/vmlinuz-6.1.0-9-amd64").string() + ")");
    EXPECT_EQ(fs::path(seen->qemu.initrd).parent_path(), root() / "data/initramfs");
    EXPECT_TRUE(fs::exists(seen->qemu.initrd));
    ASSERT_EQ(seen->virtiofs_mounts.size(), 1u);
    EXPECT_TRUE(seen->virtiofs_mounts[0].read_only);
}

TEST_F(QemuBackendTest, TheBuiltMicrovmKernelIsPreferred) {
    auto const key = "6.1.192-3-" + std::string(microvm_kernel_fragment_hash());
    auto const image = root() / "kernels" / key / "bzImage";
    fs::create_directories(image.parent_path());
    test::write_file(image, "microvm kernel");
    auto qemu = backend();
    auto handle = qemu.start(config());
    ASSERT_TRUE(handle) << handle.error().text();
    ASSERT_TRUE((*handle)->wait());
    auto seen = contract::parse_runner_config(test::read_file(root() / "vm/runner.json.seen"));
    ASSERT_TRUE(seen) << seen.error().text();
    EXPECT_EQ(seen->qemu.kernel, image.string());
    EXPECT_EQ(seen->qemu.machine, "q35");
    EXPECT_EQ(qemu.booted_kernel(), "unknown release (" + image.string() + ")");
}

TEST_F(QemuBackendTest, NoKernelFailsBeforeAnythingStarts) {
    fs::remove(root() / "boot/vmlinuz-6.1.0-9-amd64");
    auto qemu = backend();
    auto handle = qemu.start(config());
    ASSERT_FALSE(handle);
    EXPECT_EQ(handle.error().text(),
              "start vm vm1 (qemu): no guest kernel found: build the microvm "
              "kernel (make kernel), install linux-image-amd64 or pass "
              "--kernel");
    EXPECT_FALSE(fs::exists(root() / "vm/runner.json"));
}

TEST_F(QemuBackendTest, ExplicitKernelFromTheEnvironment) {
    test::write_file(root() / "bzImage", "custom kernel");
    ::setenv("MICROVM_KERNEL", (root() / "bzImage").c_str(), 1);
    auto qemu = backend();
    auto handle = qemu.start(config());
    ::unsetenv("MICROVM_KERNEL");
    ASSERT_TRUE(handle) << handle.error().text();
    ASSERT_TRUE((*handle)->wait());
    auto seen = contract::parse_runner_config(test::read_file(root() / "vm/runner.json.seen"));
    ASSERT_TRUE(seen) << seen.error().text();
    EXPECT_EQ(seen->qemu.kernel, (root() / "bzImage").string());
}

TEST_F(QemuBackendTest, InvalidConfigIsRefusedBeforeTheRunnerStarts) {
    auto vm = config();
    vm.cpus = 0;
    auto qemu = backend();
    auto handle = qemu.start(vm);
    ASSERT_FALSE(handle);
    EXPECT_EQ(handle.error().text(), "start vm vm1 (qemu): num_vcpus must be > 0");
    EXPECT_FALSE(fs::exists(root() / "vm/runner.json"));
}

TEST_F(QemuBackendTest, MissingInitNamesIt) {
    fs::remove(root() / "bin/microvm-init");
    auto qemu = backend();
    auto handle = qemu.start(config());
    ASSERT_FALSE(handle);
    EXPECT_NE(handle.error().text().find("read microvm-init: open " +
                                         (root() / "bin/microvm-init").string()),
              std::string::npos);
}

TEST_F(QemuBackendTest, PrepareRootfsKeepsTheView) {
    auto qemu = backend();
    RootfsView view{.source = "/s", .upper_dir = "/u", .work_dir = "/w"};
    auto prepared = qemu.prepare_rootfs(view);
    ASSERT_TRUE(prepared);
    EXPECT_EQ(prepared->upper_dir, fs::path("/u"));
}

} // namespace
} // namespace microvm::hypervisor::qemu
