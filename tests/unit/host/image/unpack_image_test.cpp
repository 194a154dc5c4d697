// unpack_image(): caps, atomic publication, and nothing left behind on failure.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <set>

#include "base/safe_tree.hpp"
#include "unpack_fixture.hpp"

namespace microvm::image::test {
namespace {

std::set<std::string> names_in(fs::path const& dir) {
    std::set<std::string> names;
    for (auto const& entry : fs::directory_iterator(dir)) {
        names.insert(entry.path().filename().string());
    }
    return names;
}

class UnpackImageTest : public UnpackTest {
protected:
    void SetUp() override {
        UnpackTest::SetUp();
        fs::create_directory(cache());
        ::chmod(cache().c_str(), 0700);
    }
    fs::path cache() const { return base() / "final"; }
    fs::path target() const { return cache() / "rootfs"; }
};

TEST_F(UnpackImageTest, PublishesACompleteRootWithMode0755) {
    auto const layers = write_layers({LayerBuilder().dir("etc").file("etc/os-release", "ID=test\n"),
                                      LayerBuilder().file("etc/motd", "hi")});
    auto stats = unpack_image(layers, target());
    ASSERT_TRUE(stats) << stats.error().text();
    EXPECT_EQ(stats->entries, 3u);
    EXPECT_EQ(names_in(cache()), (std::set<std::string>{"rootfs"})) << "no temporary left";
    struct stat st {};
    ASSERT_EQ(::stat(target().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0755u);
    EXPECT_EQ(names_in(target() / "etc"), (std::set<std::string>{"os-release", "motd"}));
}

TEST_F(UnpackImageTest, ExistingTargetIsRefusedAndKept) {
    fs::create_directory(target());
    auto const layers = write_layers({LayerBuilder().file("x", "x")});
    auto stats = unpack_image(layers, target());
    ASSERT_FALSE(stats);
    EXPECT_EQ(stats.error().errno_value(), EEXIST);
    EXPECT_NE(stats.error().text().find("already exists"), std::string::npos)
        << stats.error().text();
    EXPECT_TRUE(fs::is_empty(target()));
    EXPECT_EQ(names_in(cache()), (std::set<std::string>{"rootfs"}));
}

TEST_F(UnpackImageTest, FailureInALaterLayerLeavesNothingBehind) {
    auto const layers = write_layers({LayerBuilder()
                                          .dir("ro", 0500)
                                          .file("ro/f", "x", 0400)
                                          .dir("usr/lib")
                                          .file("usr/lib/big", std::string(100'000, 'b')),
                                      LayerBuilder().file("../escape", "x")});
    auto stats = unpack_image(layers, target());
    ASSERT_FALSE(stats);
    EXPECT_NE(stats.error().text().find("unpack image into " + target().string() +
                                        ": layer 2 of 2: layer "),
              std::string::npos)
        << stats.error().text();
    EXPECT_TRUE(fs::is_empty(cache())) << "the partial root must be removed";
}

TEST_F(UnpackImageTest, MissingLayerFileLeavesNothingBehind) {
    std::vector<fs::path> const layers{base() / "layers" / "absent.tar"};
    auto stats = unpack_image(layers, target());
    ASSERT_FALSE(stats);
    EXPECT_NE(stats.error().text().find("open layer"), std::string::npos) << stats.error().text();
    EXPECT_TRUE(fs::is_empty(cache()));
}

TEST_F(UnpackImageTest, EntryCountCap) {
    UnpackLimits limits;
    limits.max_entries = 3;
    auto const layers = write_layers(
        {LayerBuilder().file("a", "").file("b", ""), LayerBuilder().file("c", "").file("d", "")});
    auto stats = unpack_image(layers, target(), limits);
    ASSERT_FALSE(stats);
    EXPECT_NE(stats.error().text().find("more than 3 entries"), std::string::npos)
        << stats.error().text();
    EXPECT_TRUE(fs::is_empty(cache()));
    limits.max_entries = 4;
    EXPECT_TRUE(unpack_image(layers, target(), limits));
}

TEST_F(UnpackImageTest, TotalSizeCapCountsAllLayers) {
    UnpackLimits limits;
    limits.max_total_bytes = 16 * 1024;
    auto const layers = write_layers({LayerBuilder().file("a", std::string(6 * 1024, 'a')),
                                      LayerBuilder().file("b", std::string(12 * 1024, 'b'))},
                                     Compression::gzip);
    auto stats = unpack_image(layers, target(), limits);
    ASSERT_FALSE(stats);
    EXPECT_NE(stats.error().text().find("more than 16384 bytes"), std::string::npos)
        << stats.error().text();
    EXPECT_TRUE(fs::is_empty(cache()));
}

TEST_F(UnpackImageTest, DeclaredSizeCountsBeforeAnyDataIsWritten) {
    // A header claiming more than the cap fails on the header, before the file is created.
    UnpackLimits limits;
    limits.max_total_bytes = 1 << 20;
    auto const layers = write_layers({LayerBuilder().file("big", "x").declared_size(8 << 20)});
    auto stats = unpack_layers(layers, root(), limits);
    ASSERT_FALSE(stats);
    EXPECT_NE(stats.error().text().find("the cap on unpacked size"), std::string::npos)
        << stats.error().text();
    EXPECT_TRUE(fs::is_empty(root()));
}

TEST_F(UnpackImageTest, DirectoriesThatDenyTheOwnerAreStillCleanedUp) {
    // Read-only directories get their mode at the end; a failure after that must still
    // be able to remove them (done by remove_tree, which restores owner access).
    auto const layers =
        write_layers({LayerBuilder().dir("a", 0000).dir("a/b", 0500).file("a/b/c", "c", 0000)});
    auto stats = unpack_image(layers, target());
    ASSERT_TRUE(stats) << stats.error().text();
    ASSERT_TRUE(base::remove_tree(target()));
    EXPECT_TRUE(fs::is_empty(cache()));
}

} // namespace
} // namespace microvm::image::test
