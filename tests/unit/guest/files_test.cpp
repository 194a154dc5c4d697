#include <gtest/gtest.h>

#include <filesystem>

#include "base/temp_dir.hpp"
#include "guest/files.hpp"
#include "support/test_support.hpp"

namespace microvm::guest {
namespace {

namespace fs = std::filesystem;

TEST(ReadOptionalFile, MissingIsNullopt) {
    auto text = read_optional_file("/nonexistent-microvm-file");
    ASSERT_TRUE(text);
    EXPECT_FALSE(*text);
}

TEST(ReadOptionalFileInRoot, ReadsAFileBeneathTheRoot) {
    auto dir = base::TempDir::create("microvm-files-test-");
    ASSERT_TRUE(dir);
    fs::create_directories(dir->path() / "etc");
    microvm::test::write_file(dir->path() / "etc/microvm.json", "{}");
    auto text = read_optional_file_in_root(dir->path().string(), "etc/microvm.json");
    ASSERT_TRUE(text) << text.error().text();
    EXPECT_EQ(text->value_or("missing"), "{}");
    auto missing = read_optional_file_in_root(dir->path().string(), "etc/other.json");
    ASSERT_TRUE(missing);
    EXPECT_FALSE(*missing);
}

TEST(ReadOptionalFileInRoot, RefusesPlantedSymlinks) {
    auto dir = base::TempDir::create("microvm-files-test-");
    ASSERT_TRUE(dir);
    auto const root = dir->path() / "root";
    fs::create_directories(root / "etc");
    microvm::test::write_file(dir->path() / "secret", "host");
    fs::create_symlink(dir->path() / "secret", root / "etc/microvm.json");
    auto text = read_optional_file_in_root(root.string(), "etc/microvm.json");
    ASSERT_FALSE(text);
    EXPECT_EQ(text.error().text(), "open " + root.string() +
                                       "/etc/microvm.json: a symbolic link is on the path; "
                                       "refusing to follow it");

    fs::remove(root / "etc/microvm.json");
    fs::remove(root / "etc");
    fs::create_directory_symlink(dir->path(), root / "etc");
    microvm::test::write_file(dir->path() / "microvm.json", "{}");
    EXPECT_FALSE(read_optional_file_in_root(root.string(), "etc/microvm.json"));
}

} // namespace
} // namespace microvm::guest
