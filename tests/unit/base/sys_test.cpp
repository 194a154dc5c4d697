#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "base/sys.hpp"
#include "base/temp_dir.hpp"
#include "support/readdir_fault.hpp"
#include "support/test_support.hpp"

namespace microvm::base {
namespace {

class ListDirectory : public ::testing::Test {
protected:
    void SetUp() override {
        auto dir = TempDir::create("microvm-sys-test-");
        ASSERT_TRUE(dir) << dir.error().text();
        m_dir.emplace(std::move(*dir));
    }
    std::filesystem::path path() const { return m_dir->path(); }

    std::optional<TempDir> m_dir;
};

TEST_F(ListDirectory, ListsTheNamesWithoutDots) {
    test::write_file(path() / "b", "");
    std::filesystem::create_directory(path() / "a");
    auto names = sys::list_directory(path());
    ASSERT_TRUE(names) << names.error().text();
    std::sort(names->begin(), names->end());
    EXPECT_EQ(*names, (std::vector<std::string>{"a", "b"}));
}

TEST_F(ListDirectory, AMissingDirectoryOrAFileIsAnErrorNamingThePath) {
    auto missing = sys::list_directory(path() / "missing");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().errno_value(), ENOENT);
    EXPECT_EQ(missing.error().root(), "list " + (path() / "missing").string());

    test::write_file(path() / "file", "");
    auto file = sys::list_directory(path() / "file");
    ASSERT_FALSE(file);
    EXPECT_EQ(file.error().errno_value(), ENOTDIR);
}

// What a range-for over a directory_iterator turns into an exception: reading fails after the
// first entries (the directory was removed meanwhile).
TEST_F(ListDirectory, AReadThatFailsPartWayIsAnErrorNotAnException) {
    for (char const* name : {"a", "b", "c"}) {
        test::write_file(path() / name, "");
    }
    test::ReaddirFault fault(path(), 1, ENOENT);
    auto names = sys::list_directory(path());
    ASSERT_FALSE(names);
    EXPECT_EQ(names.error().errno_value(), ENOENT);
    EXPECT_EQ(names.error().text(), "list " + path().string() + ": No such file or directory");
    EXPECT_EQ(fault.failures(), 1);
}

TEST(PidfdOpen, OpensALiveProcessAndFailsWithEsrchForAReapedOne) {
    auto self = sys::pidfd_open(::getpid());
    ASSERT_TRUE(self) << self.error().text();
    EXPECT_TRUE(*self);

    pid_t const child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::_exit(0);
    }
    ASSERT_EQ(::waitpid(child, nullptr, 0), child);
    auto reaped = sys::pidfd_open(child);
    ASSERT_FALSE(reaped);
    EXPECT_EQ(reaped.error().errno_value(), ESRCH);
    EXPECT_EQ(reaped.error().root(), "pidfd_open " + std::to_string(child));
}

} // namespace
} // namespace microvm::base
