#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "base/temp_dir.hpp"
#include "host/rootfs/copy_tree.hpp"
#include "support/test_support.hpp"

namespace microvm::rootfs {
namespace {

namespace fs = std::filesystem;

// Type, mode, owner, size, mtime, contents / link target of every entry.
std::map<std::string, std::string> snapshot(fs::path const& root) {
    std::map<std::string, std::string> out;
    for (auto const& entry : fs::recursive_directory_iterator(root)) {
        struct stat st {};
        ::lstat(entry.path().c_str(), &st);
        std::string facts = std::to_string(st.st_mode) + " " + std::to_string(st.st_uid) + ":" +
                            std::to_string(st.st_gid) + " " + std::to_string(st.st_mtim.tv_sec);
        if (S_ISREG(st.st_mode)) {
            facts += " " + test::read_file(entry.path());
        } else if (S_ISLNK(st.st_mode)) {
            facts += " -> " + fs::read_symlink(entry.path()).string();
        } else if (S_ISDIR(st.st_mode)) {
            facts += " dir";
        }
        out[entry.path().lexically_relative(root).string()] = facts;
    }
    return out;
}

class CopyTree : public ::testing::Test {
protected:
    void SetUp() override {
        auto dir = base::TempDir::create("microvm-copy-tree-test-");
        ASSERT_TRUE(dir);
        m_dir.emplace(std::move(*dir));
        fs::create_directories(src() / "bin");
        fs::create_directories(src() / "etc/deep/er");
        fs::create_directories(src() / "tmp");
        test::write_file(src() / "bin/busybox", std::string(200000, 'b'));
        fs::create_symlink("busybox", src() / "bin/sh");
        fs::create_symlink("/etc/passwd", src() / "etc/absolute-link");
        fs::create_symlink("/nonexistent", src() / "etc/dangling");
        test::write_file(src() / "etc/passwd", "root:x:0:0::/root:/bin/sh\n");
        fs::create_hard_link(src() / "etc/passwd", src() / "etc/deep/er/passwd-link");
        ::mkfifo((src() / "etc/fifo").c_str(), 0640);
        ::chmod((src() / "tmp").c_str(), 01777);
        ::chmod((src() / "bin/busybox").c_str(), 04755);
        ::chown((src() / "etc/passwd").c_str(), 12, 34);
        ::chmod((src() / "etc/deep").c_str(), 0710);
        timeval old[2] = {{1000000, 0}, {1000000, 0}};
        ::utimes((src() / "etc/deep/er").c_str(), old);
    }
    fs::path src() const { return m_dir->path() / "src"; }
    fs::path dst() const { return m_dir->path() / "dst"; }

    std::optional<base::TempDir> m_dir;
};

TEST_F(CopyTree, CopiesEverythingAsItIs) {
    auto before = snapshot(src());
    auto copied = copy_tree(src(), dst());
    ASSERT_TRUE(copied) << copied.error().text();
    EXPECT_EQ(snapshot(dst()), before);
    EXPECT_EQ(snapshot(src()), before);
    EXPECT_EQ(fs::read_symlink(dst() / "etc/absolute-link"), "/etc/passwd");
    EXPECT_TRUE(fs::is_fifo(dst() / "etc/fifo"));
}

TEST_F(CopyTree, HardLinksStayLinked) {
    ASSERT_TRUE(copy_tree(src(), dst()));
    struct stat a {};
    struct stat b {};
    ASSERT_EQ(::stat((dst() / "etc/passwd").c_str(), &a), 0);
    ASSERT_EQ(::stat((dst() / "etc/deep/er/passwd-link").c_str(), &b), 0);
    EXPECT_EQ(a.st_ino, b.st_ino);
    EXPECT_EQ(a.st_nlink, 2u);
}

TEST_F(CopyTree, TheCopyIsIndependent) {
    ASSERT_TRUE(copy_tree(src(), dst()));
    test::write_file(dst() / "etc/passwd", "changed");
    fs::remove(dst() / "bin/sh");
    EXPECT_EQ(test::read_file(src() / "etc/passwd"), "root:x:0:0::/root:/bin/sh\n");
    EXPECT_TRUE(fs::is_symlink(src() / "bin/sh"));
}

TEST_F(CopyTree, ExistingDestinationIsAnError) {
    fs::create_directories(dst());
    auto copied = copy_tree(src(), dst());
    ASSERT_FALSE(copied);
    EXPECT_EQ(copied.error().errno_value(), EEXIST);
}

TEST_F(CopyTree, TooDeepIsAnError) {
    fs::path deep = src() / "d";
    for (int i = 0; i <= max_copy_depth + 1; ++i) {
        deep /= "d";
    }
    fs::create_directories(deep);
    auto copied = copy_tree(src(), dst());
    ASSERT_FALSE(copied);
    EXPECT_NE(copied.error().text().find("nested deeper than"), std::string::npos);
}

} // namespace
} // namespace microvm::rootfs
