#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <string>

#include "base/temp_dir.hpp"
#include "host/hypervisor/qemu/boot_files.hpp"
#include "support/test_support.hpp"

namespace microvm::hypervisor::qemu {
namespace {

namespace fs = std::filesystem;

// The module list inside an initramfs.
std::string module_list(fs::path const& initrd) {
    std::string list;
    archive* a = archive_read_new();
    archive_read_support_filter_gzip(a);
    archive_read_support_format_cpio(a);
    EXPECT_EQ(archive_read_open_filename(a, initrd.c_str(), 1 << 16), ARCHIVE_OK);
    archive_entry* entry = nullptr;
    while (archive_read_next_header(a, &entry) == ARCHIVE_OK) {
        if (std::string(archive_entry_pathname(entry)) == "etc/microvm-modules") {
            char buffer[4096];
            la_ssize_t n = 0;
            while ((n = archive_read_data(a, buffer, sizeof buffer)) > 0) {
                list.append(buffer, static_cast<std::size_t>(n));
            }
        }
    }
    archive_read_free(a);
    return list;
}

class BootFilesTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto dir = base::TempDir::create("microvm-boot-files-test-");
        ASSERT_TRUE(dir);
        m_dir.emplace(std::move(*dir));
        fs::create_directories(root() / "boot");
        fs::create_directories(root() / "data");
        auto modules = root() / "lib/modules/6.1.0-9-amd64";
        fs::create_directories(modules / "kernel");
        test::write_file(root() / "boot/vmlinuz-6.1.0-9-amd64", "kernel");
        test::write_file(root() / "init", "init");
        test::write_file(modules / "modules.dep",
                         "kernel/virtio_ring.ko:\n"
                         "kernel/virtio.ko: kernel/virtio_ring.ko\n"
                         "kernel/virtio_pci.ko: kernel/virtio.ko kernel/virtio_ring.ko\n"
                         "kernel/fuse.ko:\n"
                         "kernel/virtiofs.ko: kernel/virtio.ko kernel/virtio_ring.ko "
                         "kernel/fuse.ko\n"
                         "kernel/virtio_console.ko: kernel/virtio.ko kernel/virtio_ring.ko\n"
                         "kernel/virtio_net.ko: kernel/virtio.ko kernel/virtio_ring.ko\n");
        for (auto name : {"virtio_ring", "virtio", "virtio_pci", "fuse", "virtiofs",
                          "virtio_console", "virtio_net"}) {
            test::write_file(modules / "kernel" / (std::string(name) + ".ko"), name);
        }
    }
    fs::path root() const { return m_dir->path(); }
    BootFilesRequest request(bool network = false) const {
        return BootFilesRequest{
            .search = {.explicit_kernel = {},
                       .boot_dir = root() / "boot",
                       .modules_root = root() / "lib/modules"},
            .data_dir = root() / "data",
            .init_binary = root() / "init",
            .network = network,
        };
    }

    std::optional<base::TempDir> m_dir;
};

TEST_F(BootFilesTest, KernelAndAnInitramfsWithTheGuestModules) {
    auto boot = prepare_boot_files(request());
    ASSERT_TRUE(boot) << boot.error().text();
    EXPECT_EQ(boot->kernel.kernel, root() / "boot/vmlinuz-6.1.0-9-amd64");
    EXPECT_EQ(boot->initrd.parent_path(), root() / "data/initramfs");
    EXPECT_EQ(
        module_list(boot->initrd),
        "virtio_ring.ko\nvirtio.ko\nvirtio_pci.ko\nfuse.ko\nvirtiofs.ko\nvirtio_console.ko\n");
}

TEST_F(BootFilesTest, NetworkAddsVirtioNet) {
    auto boot = prepare_boot_files(request(true));
    ASSERT_TRUE(boot) << boot.error().text();
    EXPECT_TRUE(module_list(boot->initrd).ends_with("virtio_console.ko\nvirtio_net.ko\n"));
    auto without = prepare_boot_files(request(false));
    ASSERT_TRUE(without);
    EXPECT_NE(without->initrd, boot->initrd);
}

TEST_F(BootFilesTest, KernelWithoutModulesGetsAnEmptyList) {
    test::write_file(root() / "bzImage", "virtio built in");
    auto req = request();
    req.search.explicit_kernel = root() / "bzImage";
    auto boot = prepare_boot_files(req);
    ASSERT_TRUE(boot) << boot.error().text();
    EXPECT_EQ(module_list(boot->initrd), "");
}

TEST_F(BootFilesTest, NoKernelIsTheClearError) {
    fs::remove(root() / "boot/vmlinuz-6.1.0-9-amd64");
    auto boot = prepare_boot_files(request());
    ASSERT_FALSE(boot);
    EXPECT_EQ(boot.error().text(), "no guest kernel found: build the microvm kernel (make kernel), "
                                   "install linux-image-amd64 or pass --kernel");
    EXPECT_FALSE(fs::exists(root() / "data/initramfs"));
}

} // namespace
} // namespace microvm::hypervisor::qemu
