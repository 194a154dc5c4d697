#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <string>

#include "base/temp_dir.hpp"
#include "host/hypervisor/qemu/engine_section.hpp"
#include "host/hypervisor/qemu/kernel_cache.hpp"
#include "support/test_support.hpp"

namespace microvm::hypervisor::qemu {
namespace {

namespace fs = std::filesystem;

// A fake system: a distribution kernel with its modules, and microvm-init.
class QemuSection : public ::testing::Test {
protected:
    void SetUp() override {
        auto dir = base::TempDir::create("microvm-qemu-section-test-");
        ASSERT_TRUE(dir);
        m_dir.emplace(std::move(*dir));
        for (auto sub : {"boot", "data", "bin"}) {
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
        ::unsetenv("MICROVM_KERNEL");
    }
    fs::path root() const { return m_dir->path(); }

    QemuSectionOptions options() const {
        return {.data_dir = root() / "data",
                .init_binary = root() / "bin/microvm-init",
                .kernel = {},
                .boot_dir = root() / "boot",
                .modules_root = root() / "modules",
                .kernel_cache_roots = std::vector<fs::path>{root() / "kernels"},
                .qemu = {}};
    }

    std::optional<base::TempDir> m_dir;
};

TEST_F(QemuSection, FillsTheQemuSectionAndNamesTheKernel) {
    contract::RunnerConfig config;
    config.virtiofs_mounts = {{.tag = "ro", .path = "/srv/ro", .read_only = true}};
    auto options = this->options();
    options.qemu.accel = "tcg";
    auto kernel = add_qemu_section(config, options);
    ASSERT_TRUE(kernel) << kernel.error().text();
    EXPECT_EQ(config.engine, contract::Engine::qemu);
    EXPECT_EQ(config.qemu.kernel, (root() / "boot/vmlinuz-6.1.0-9-amd64").string());
    // A distribution kernel has virtio-mmio as a module: PCI it is.
    EXPECT_EQ(config.qemu.machine, "q35");
    EXPECT_EQ(config.qemu.accel, "tcg");
    EXPECT_EQ(*kernel, "6.1.0-9-amd64 (" + (root() / "boot/vmlinuz-6.1.0-9-amd64").string() + ")");
    EXPECT_EQ(fs::path(config.qemu.initrd).parent_path(), root() / "data/initramfs");
    EXPECT_TRUE(fs::exists(config.qemu.initrd));
    // The shares are not the engine's business: untouched.
    ASSERT_EQ(config.virtiofs_mounts.size(), 1u);
    EXPECT_TRUE(config.virtiofs_mounts[0].read_only);
}

TEST_F(QemuSection, TheBuiltMicrovmKernelIsPreferred) {
    auto const key = "6.1.192-3-" + std::string(microvm_kernel_fragment_hash());
    auto const image = root() / "kernels" / key / "bzImage";
    fs::create_directories(image.parent_path());
    test::write_file(image, "microvm kernel");
    contract::RunnerConfig config;
    auto kernel = add_qemu_section(config, options());
    ASSERT_TRUE(kernel) << kernel.error().text();
    EXPECT_EQ(config.qemu.kernel, image.string());
    EXPECT_EQ(config.qemu.machine, "q35");
    EXPECT_EQ(*kernel, "unknown release (" + image.string() + ")");
}

TEST_F(QemuSection, NoKernelFailsSayingWhatToDo) {
    fs::remove(root() / "boot/vmlinuz-6.1.0-9-amd64");
    contract::RunnerConfig config;
    auto kernel = add_qemu_section(config, options());
    ASSERT_FALSE(kernel);
    EXPECT_EQ(kernel.error().text(),
              "no guest kernel found: build the microvm kernel (make kernel), install "
              "linux-image-amd64 or pass --kernel");
}

TEST_F(QemuSection, AnExplicitKernelFromTheEnvironment) {
    test::write_file(root() / "bzImage", "custom kernel");
    ::setenv("MICROVM_KERNEL", (root() / "bzImage").c_str(), 1);
    contract::RunnerConfig config;
    auto kernel = add_qemu_section(config, options());
    ::unsetenv("MICROVM_KERNEL");
    ASSERT_TRUE(kernel) << kernel.error().text();
    EXPECT_EQ(config.qemu.kernel, (root() / "bzImage").string());
}

TEST_F(QemuSection, AMissingInitIsNamed) {
    fs::remove(root() / "bin/microvm-init");
    contract::RunnerConfig config;
    auto kernel = add_qemu_section(config, options());
    ASSERT_FALSE(kernel);
    EXPECT_NE(kernel.error().text().find("read microvm-init: open " +
                                         (root() / "bin/microvm-init").string()),
              std::string::npos)
        << kernel.error().text();
}

} // namespace
} // namespace microvm::hypervisor::qemu
