#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "base/temp_dir.hpp"

namespace microvm::base {
namespace {

TEST(TempDir, IsPrivateAndRemovedWithItsContents) {
    std::filesystem::path path;
    {
        auto dir = TempDir::create("microvm-tempdir-test-");
        ASSERT_TRUE(dir) << dir.error().text();
        path = dir->path();
        struct stat st {};
        ASSERT_EQ(::stat(path.c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 0777, 0700u);
        std::filesystem::create_directories(path / "a" / "b");
        std::ofstream(path / "a" / "b" / "file") << "x";
    }
    EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(TempDir, ReleaseKeepsTheDirectory) {
    auto dir = TempDir::create("microvm-tempdir-test-");
    ASSERT_TRUE(dir);
    auto kept = dir->release();
    { auto moved = std::move(*dir); }
    EXPECT_TRUE(std::filesystem::exists(kept));
    std::filesystem::remove_all(kept);
}

TEST(TempDir, MissingParentIsAnError) {
    auto dir = TempDir::create("/nonexistent-parent", "x-");
    ASSERT_FALSE(dir);
    EXPECT_NE(dir.error().text().find("mkdtemp /nonexistent-parent/x-XXXXXX"), std::string::npos);
}

} // namespace
} // namespace microvm::base
