#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "base/fd.hpp"
#include "base/temp_dir.hpp"
#include "guest/initramfs.hpp"
#include "support/test_support.hpp"

namespace microvm::guest {
namespace {

namespace fs = std::filesystem;

TEST(RemoveContentsOnDevice, EmptiesTheTreeWithoutFollowingSymlinks) {
    auto dir = base::TempDir::create("microvm-initramfs-test-");
    ASSERT_TRUE(dir);
    auto const root = dir->path() / "root";
    auto const outside = dir->path() / "outside";
    fs::create_directories(root / "lib/modules");
    fs::create_directories(root / "etc");
    fs::create_directories(outside / "keep");
    microvm::test::write_file(root / "init", "binary");
    microvm::test::write_file(root / "lib/modules/virtio.ko", "module");
    microvm::test::write_file(outside / "keep/file", "host");
    fs::create_directory_symlink(outside, root / "etc/link");

    base::Fd fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(fd);
    struct stat st {};
    ASSERT_EQ(::fstat(fd.get(), &st), 0);
    auto removed = remove_contents_on_device(fd.get(), st.st_dev);
    ASSERT_TRUE(removed) << removed.error().text();
    EXPECT_TRUE(fs::is_empty(root));
    EXPECT_EQ(microvm::test::read_file(outside / "keep/file"), "host");
}

TEST(RemoveContentsOnDevice, LeavesWhatIsOnAnotherDevice) {
    auto dir = base::TempDir::create("microvm-initramfs-test-");
    ASSERT_TRUE(dir);
    microvm::test::write_file(dir->path() / "file", "x");
    base::Fd fd(::open(dir->path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(fd);
    struct stat st {};
    ASSERT_EQ(::fstat(fd.get(), &st), 0);
    // Seen from a device number that is not the tree's, everything is a mount point.
    ASSERT_TRUE(remove_contents_on_device(fd.get(), st.st_dev + 1));
    EXPECT_TRUE(fs::exists(dir->path() / "file"));
}

TEST(FreeInitramfs, DoesNothingUnlessPid1) {
    EXPECT_TRUE(free_initramfs());
}

} // namespace
} // namespace microvm::guest
