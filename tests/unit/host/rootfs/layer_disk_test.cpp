// The writable layer moved onto a disk image: made with the real mkfs.ext4, sparse, holding
// what was in the layer, and nothing left behind when it cannot be made.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <fstream>

#include "base/temp_dir.hpp"
#include "host/rootfs/layer_disk.hpp"

namespace microvm::rootfs {
namespace {

namespace fs = std::filesystem;

class LayerDiskTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto dir = base::TempDir::create("layer-disk-test-");
        ASSERT_TRUE(dir) << dir.error().text();
        m_dir.emplace(std::move(*dir));
        fs::create_directories(base() / "source");
        fs::create_directories(base() / "rootfs" / "upper" / "etc");
        fs::create_directories(base() / "rootfs" / "work");
        std::ofstream(base() / "rootfs" / "upper" / "etc" / "microvm.json") << "{}";
    }
    fs::path base() const { return m_dir->path(); }
    RootfsView view() const {
        return {.source = base() / "source",
                .upper_dir = base() / "rootfs" / "upper",
                .work_dir = base() / "rootfs" / "work"};
    }
    bool has_loop_devices() const { return !layer_disk_unavailable(view()).has_value(); }

    std::optional<base::TempDir> m_dir;
};

// ext4's superblock magic, 0xEF53 at byte 1024 + 56.
bool is_ext4(fs::path const& image) {
    std::ifstream in(image, std::ios::binary);
    in.seekg(1024 + 56);
    std::array<unsigned char, 2> magic{};
    in.read(reinterpret_cast<char*>(magic.data()), magic.size());
    return magic[0] == 0x53 && magic[1] == 0xEF;
}

TEST_F(LayerDiskTest, TheLayerMovesIntoASparseImageOfTheSize) {
    ASSERT_TRUE(has_loop_devices()) << *layer_disk_unavailable(view());
    auto const image = base() / "rootfs.ext4";
    auto moved = move_layer_to_disk(view(), image, 256ull << 20);
    ASSERT_TRUE(moved) << moved.error().text();
    EXPECT_EQ(fs::file_size(image), 256ull << 20);
    EXPECT_TRUE(is_ext4(image));
    auto const used = disk_usage(image);
    ASSERT_TRUE(used);
    EXPECT_LT(*used, 16ull << 20) << "the image is not sparse";
    // The host directories stay, empty, as the runner's mountpoints.
    EXPECT_TRUE(fs::is_empty(view().upper_dir));
    EXPECT_TRUE(fs::is_empty(view().work_dir));
}

TEST_F(LayerDiskTest, ACopyHasNoLayerToMoveAndLeavesNoImage) {
    auto const image = base() / "rootfs.ext4";
    RootfsView copy{.source = base() / "source", .upper_dir = {}, .work_dir = {}};
    ASSERT_TRUE(layer_disk_unavailable(copy));
    auto moved = move_layer_to_disk(copy, image, 64ull << 20);
    ASSERT_FALSE(moved);
    EXPECT_NE(moved.error().text().find("private copy"), std::string::npos) << moved.error().text();
    EXPECT_FALSE(fs::exists(image));
}

TEST_F(LayerDiskTest, AFailedFormatLeavesNoImageAndTheLayerInPlace) {
    ASSERT_TRUE(has_loop_devices()) << *layer_disk_unavailable(view());
    auto const image = base() / "rootfs.ext4";
    // Smaller than ext4 can be made.
    auto moved = move_layer_to_disk(view(), image, 4096);
    ASSERT_FALSE(moved);
    EXPECT_NE(moved.error().text().find("mkfs.ext4"), std::string::npos) << moved.error().text();
    EXPECT_FALSE(fs::exists(image));
    EXPECT_TRUE(fs::exists(view().upper_dir / "etc" / "microvm.json"));
}

TEST_F(LayerDiskTest, UsageOfNoImageIsUnknown) {
    EXPECT_FALSE(disk_usage(base() / "none.ext4"));
    EXPECT_FALSE(disk_usage(base() / "rootfs"));
}

} // namespace
} // namespace microvm::rootfs
