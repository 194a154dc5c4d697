#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "base/temp_dir.hpp"
#include "guest/config_file.hpp"
#include "support/test_support.hpp"

namespace microvm::guest {
namespace {

namespace fs = std::filesystem;

struct Root {
    base::TempDir dir = std::move(*base::TempDir::create("microvm-config-file-test-"));
    fs::path root = dir.path() / "root";
    Root() { fs::create_directories(root / "etc"); }
};

TEST(ReadGuestConfig, MissingFileGivesTheDefaults) {
    Root r;
    auto config = read_guest_config(r.root.string());
    ASSERT_TRUE(config) << config.error().text();
    EXPECT_TRUE(config->virtiofs_mounts.empty());
    EXPECT_TRUE(config->argv.empty());
}

TEST(ReadGuestConfig, ReadsTheFile) {
    Root r;
    microvm::test::write_file(
        r.root / "etc/microvm.json",
        R"({"virtiofs_mounts":[{"tag":"data","guest_path":"/data","read_only":true}]})");
    auto config = read_guest_config(r.root.string());
    ASSERT_TRUE(config) << config.error().text();
    ASSERT_EQ(config->virtiofs_mounts.size(), 1u);
    EXPECT_TRUE(config->virtiofs_mounts[0].read_only);
}

TEST(ReadGuestConfig, AFileThatDoesNotParseIsAnErrorNamingIt) {
    Root r;
    microvm::test::write_file(r.root / "etc/microvm.json", R"({"virtiofs_mounts":[)");
    auto config = read_guest_config(r.root.string());
    ASSERT_FALSE(config);
    EXPECT_TRUE(config.error().text().starts_with("/etc/microvm.json")) << config.error().text();
}

TEST(ReadGuestConfig, APlantedSymlinkIsNeverFollowed) {
    Root r;
    microvm::test::write_file(r.dir.path() / "outside.json", "{}");
    fs::create_symlink(r.dir.path() / "outside.json", r.root / "etc/microvm.json");
    auto config = read_guest_config(r.root.string());
    ASSERT_FALSE(config);
    EXPECT_TRUE(config.error().text().starts_with("read /etc/microvm.json: "))
        << config.error().text();

    fs::remove(r.root / "etc/microvm.json");
    fs::remove(r.root / "etc");
    fs::create_directory_symlink(r.dir.path(), r.root / "etc");
    microvm::test::write_file(r.dir.path() / "microvm.json", "{}");
    EXPECT_FALSE(read_guest_config(r.root.string()));
}

TEST(ReadGuestConfig, AFifoIsAnErrorNotAHang) {
    Root r;
    ASSERT_EQ(::mkfifo((r.root / "etc/microvm.json").c_str(), 0644), 0);
    EXPECT_FALSE(read_guest_config(r.root.string()));
}

} // namespace
} // namespace microvm::guest
