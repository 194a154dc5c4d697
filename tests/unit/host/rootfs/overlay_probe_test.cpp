#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <optional>

#include "base/temp_dir.hpp"
#include "host/rootfs/overlay_probe.hpp"
#include "support/test_support.hpp"

namespace microvm::rootfs {
namespace {

namespace fs = std::filesystem;

TEST(OverlayOptions, EscapesWhatOverlayfsSplitsOn) {
    RootfsView view{.source = "/a,b", .upper_dir = "/c:d", .work_dir = "/e\\f"};
    EXPECT_EQ(overlay_options(view), "lowerdir=/a\\,b,upperdir=/c\\:d,workdir=/e\\\\f");
}

class OverlayProbe : public ::testing::Test {
protected:
    void SetUp() override {
        auto dir = base::TempDir::create("microvm-probe-test-");
        ASSERT_TRUE(dir);
        m_dir.emplace(std::move(*dir));
    }
    RootfsView make(std::string const& prefix) {
        RootfsView view{.source = m_dir->path() / (prefix + "lower"),
                        .upper_dir = m_dir->path() / (prefix + "upper"),
                        .work_dir = m_dir->path() / (prefix + "work")};
        fs::create_directories(view.source);
        fs::create_directories(view.upper_dir);
        fs::create_directories(view.work_dir);
        fs::create_directories(m_dir->path() / "mnt");
        return view;
    }
    std::optional<base::TempDir> m_dir;
};

TEST_F(OverlayProbe, MountsAsRootAndLeavesNothingMounted) {
    ASSERT_EQ(::geteuid(), 0u) << "this test mounts an overlay and must run as root";
    auto view = make("");
    auto probe = probe_overlay(view, m_dir->path() / "mnt");
    ASSERT_TRUE(probe) << probe.error().text();
    EXPECT_EQ(test::read_file("/proc/self/mountinfo").find(m_dir->path().string()),
              std::string::npos);
}

TEST_F(OverlayProbe, PathsWithSeparatorsMount) {
    ASSERT_EQ(::geteuid(), 0u) << "this test mounts an overlay and must run as root";
    auto view = make("x,y:z-");
    auto probe = probe_overlay(view, m_dir->path() / "mnt");
    EXPECT_TRUE(probe) << probe.error().text();
}

// Without a comma the probe runs in this process (fsopen/fsconfig), where ':' and '\\' must
// reach overlayfs escaped just the same.
TEST_F(OverlayProbe, PathsWithColonsAndBackslashesMountInProcess) {
    ASSERT_EQ(::geteuid(), 0u) << "this test mounts an overlay and must run as root";
    auto view = make("x:y\\z-");
    auto probe = probe_overlay(view, m_dir->path() / "mnt");
    EXPECT_TRUE(probe) << probe.error().text();
}

// With a comma the probe forks; its failures carry the errno all the same.
TEST_F(OverlayProbe, AForkedProbesFailureCarriesTheMountErrno) {
    ASSERT_EQ(::geteuid(), 0u) << "this test mounts an overlay and must run as root";
    auto view = make("a,b-");
    fs::remove(view.work_dir);
    auto probe = probe_overlay(view, m_dir->path() / "mnt");
    ASSERT_FALSE(probe);
    EXPECT_EQ(probe.error().errno_value(), ENOENT);
}

TEST_F(OverlayProbe, FailureCarriesTheMountErrno) {
    auto view = make("");
    fs::remove(view.work_dir);
    auto probe = probe_overlay(view, m_dir->path() / "mnt");
    ASSERT_FALSE(probe);
    EXPECT_EQ(probe.error().errno_value(), ENOENT);
    EXPECT_NE(probe.error().text().find("mount overlay (lowerdir="), std::string::npos);
}

} // namespace
} // namespace microvm::rootfs
