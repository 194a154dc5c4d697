#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "base/temp_dir.hpp"
#include "guest/syscalls.hpp"

namespace microvm::guest {
namespace {

namespace fs = std::filesystem;

TEST(MakeDirectories, CreatesEveryMissingComponent) {
    auto dir = base::TempDir::create("microvm-syscalls-test-");
    ASSERT_TRUE(dir);
    LinuxSyscalls sys;
    auto const path = dir->path() / "a/b/c";
    auto made = sys.make_directories(path.string() + "/", 0755);
    ASSERT_TRUE(made) << made.error().text();
    EXPECT_TRUE(fs::is_directory(path));
    EXPECT_TRUE(sys.make_directories(path.string(), 0755)) << "existing is fine";
}

TEST(MakeDirectories, RefusesToFollowASymlink) {
    auto dir = base::TempDir::create("microvm-syscalls-test-");
    ASSERT_TRUE(dir);
    fs::create_directories(dir->path() / "root");
    fs::create_directories(dir->path() / "outside");
    // An image plants /data -> a directory outside its root.
    fs::create_directory_symlink(dir->path() / "outside", dir->path() / "root/data");
    LinuxSyscalls sys;
    auto const target = dir->path() / "root/data/share";
    auto made = sys.make_directories(target.string(), 0755);
    ASSERT_FALSE(made);
    EXPECT_EQ(made.error().errno_value(), ELOOP);
    EXPECT_NE(
        made.error().text().find((dir->path() / "root/data").string().substr(1) + " is a symlink"),
        std::string::npos)
        << made.error().text();
    EXPECT_FALSE(fs::exists(dir->path() / "outside/share"));
}

TEST(MakeDirectories, RefusesAFinalSymlinkAndDotDot) {
    auto dir = base::TempDir::create("microvm-syscalls-test-");
    ASSERT_TRUE(dir);
    fs::create_directory_symlink("/", dir->path() / "link");
    LinuxSyscalls sys;
    EXPECT_FALSE(sys.make_directories((dir->path() / "link").string(), 0755));
    auto dotdot = sys.make_directories(dir->path().string() + "/x/../y", 0755);
    ASSERT_FALSE(dotdot);
    EXPECT_NE(dotdot.error().text().find("\"..\" is not allowed"), std::string::npos)
        << dotdot.error().text();
    EXPECT_FALSE(sys.make_directories("relative/path", 0755));
}

TEST(MakeDirectories, AFileInTheWayIsAnError) {
    auto dir = base::TempDir::create("microvm-syscalls-test-");
    ASSERT_TRUE(dir);
    { std::ofstream(dir->path() / "file") << "x"; }
    LinuxSyscalls sys;
    auto made = sys.make_directories((dir->path() / "file/sub").string(), 0755);
    ASSERT_FALSE(made);
    EXPECT_EQ(made.error().errno_value(), ENOTDIR) << made.error().text();
}

} // namespace
} // namespace microvm::guest
