#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "base/safe_tree.hpp"
#include "base/temp_dir.hpp"
#include "support/test_support.hpp"

namespace microvm::base {
namespace {

namespace fs = std::filesystem;
using test::read_file;
using test::snapshot;
using test::write_file;

class SafeTree : public ::testing::Test {
protected:
    void SetUp() override {
        auto dir = TempDir::create("microvm-safe-tree-test-");
        ASSERT_TRUE(dir);
        m_dir.emplace(std::move(*dir));
        fs::create_directories(root());
        fs::create_directories(outside() / "dir");
        write_file(outside() / "dir" / "file", "host");
        auto fd = open_root(root());
        ASSERT_TRUE(fd);
        m_root = std::move(*fd);
        m_before = snapshot(outside());
    }
    void TearDown() override { EXPECT_EQ(snapshot(outside()), m_before); }
    fs::path root() const { return m_dir->path() / "root"; }
    fs::path outside() const { return m_dir->path() / "outside"; }

    std::optional<TempDir> m_dir;
    Fd m_root;
    std::map<std::string, std::string> m_before;
};

TEST_F(SafeTree, MakeDirsCreatesWithExactModeAndFollowsLinksInsideTheRoot) {
    mode_t const old_umask = ::umask(077);
    auto dir = mkdirs_resolving_in_root(m_root, "/usr//lib/x/", 0755);
    ::umask(old_umask);
    ASSERT_TRUE(dir) << dir.error().text();
    struct stat st {};
    ASSERT_EQ(::stat((root() / "usr/lib/x").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0755u) << "not filtered by the umask";

    fs::create_symlink("usr/lib", root() / "lib");
    ASSERT_TRUE(mkdirs_resolving_in_root(m_root, "lib/y", 0755));
    EXPECT_TRUE(fs::is_directory(root() / "usr/lib/y"));
    // An absolute link and ".." in a link stay inside the root too.
    fs::create_symlink("/usr", root() / "abs");
    fs::create_symlink("../../../../usr", root() / "up");
    ASSERT_TRUE(mkdirs_resolving_in_root(m_root, "abs/a", 0755));
    ASSERT_TRUE(mkdirs_resolving_in_root(m_root, "up/b", 0755));
    EXPECT_TRUE(fs::is_directory(root() / "usr/a"));
    EXPECT_TRUE(fs::is_directory(root() / "usr/b"));
}

TEST_F(SafeTree, MakeDirsCreatesTheTargetOfADanglingLinkInsideTheRoot) {
    fs::create_symlink(outside() / "dir", root() / "out");
    fs::create_symlink("../../../../there", root() / "rel");
    ASSERT_TRUE(mkdirs_resolving_in_root(m_root, "out/new", 0755));
    EXPECT_TRUE(fs::is_directory(root() / outside().relative_path() / "dir/new"));
    ASSERT_TRUE(mkdirs_resolving_in_root(m_root, "rel/x", 0755));
    EXPECT_TRUE(fs::is_directory(root() / "there/x"));
    // A cycle of dangling links ends with ELOOP.
    fs::create_symlink("b", root() / "a");
    fs::create_symlink("a", root() / "b");
    auto loop = mkdirs_resolving_in_root(m_root, "a/x", 0755);
    ASSERT_FALSE(loop);
    EXPECT_EQ(loop.error().errno_value(), ELOOP) << loop.error().text();
}

TEST_F(SafeTree, MakeDirsFailures) {
    // A dangling link behind another link: its target is ambiguous, so nothing is created.
    fs::create_directory(root() / "real");
    fs::create_symlink("real", root() / "alias");
    fs::create_symlink("../nowhere", root() / "real/out");
    auto dangling = mkdirs_resolving_in_root(m_root, "alias/out/new", 0755);
    ASSERT_FALSE(dangling);
    EXPECT_EQ(dangling.error().errno_value(), EEXIST);
    EXPECT_NE(
        dangling.error().text().find("alias/out is a symlink to a directory that does not exist"),
        std::string::npos)
        << dangling.error().text();
    EXPECT_FALSE(fs::exists(root() / "nowhere"));

    write_file(root() / "file", "x");
    auto not_dir = mkdirs_resolving_in_root(m_root, "file/sub", 0755);
    ASSERT_FALSE(not_dir);
    EXPECT_EQ(not_dir.error().errno_value(), ENOTDIR);

    auto dots = mkdirs_resolving_in_root(m_root, "a/../b", 0755);
    ASSERT_FALSE(dots);
    EXPECT_EQ(dots.error().errno_value(), EINVAL);
}

TEST_F(SafeTree, SplitInRoot) {
    auto split = split_in_root("/a//b/c/");
    ASSERT_TRUE(split);
    EXPECT_EQ(split->parent, "a/b");
    EXPECT_EQ(split->leaf, "c");
    EXPECT_EQ(split_in_root("x")->parent, ".");
    EXPECT_EQ(split_in_root("./")->leaf, "");
    EXPECT_FALSE(split_in_root("a/.."));
}

TEST_F(SafeTree, RemoveAtNeverFollowsSymlinks) {
    fs::create_directories(root() / "d/sub");
    write_file(root() / "d/sub/f", "x");
    fs::create_symlink(outside() / "dir", root() / "d/link");
    fs::create_symlink(outside() / "dir", root() / "toplink");
    ASSERT_TRUE(remove_at(m_root.get(), "toplink"));
    ASSERT_TRUE(remove_at(m_root.get(), "d"));
    ASSERT_TRUE(remove_at(m_root.get(), "missing")) << "a missing entry is fine";
    EXPECT_TRUE(fs::is_empty(root()));
}

TEST_F(SafeTree, RemoveHandlesUnreadableDirectories) {
    fs::create_directories(root() / "a/b/c");
    write_file(root() / "a/b/c/f", "x");
    ::chmod((root() / "a/b/c").c_str(), 0);
    ::chmod((root() / "a/b").c_str(), 0500);
    ASSERT_TRUE(remove_tree(root() / "a"));
    EXPECT_FALSE(fs::exists(root() / "a"));
    ASSERT_TRUE(remove_tree(root() / "a")) << "already gone is fine";
}

TEST_F(SafeTree, RemoveDeepTreeWithFewDescriptors) {
    // Deeper than the descriptor limit allows if each level held one open.
    struct rlimit old {};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &old), 0);
    std::string path = "deep";
    ASSERT_TRUE(mkdirs_resolving_in_root(m_root, "deep", 0755));
    auto dir = open_in_root(m_root, "deep", O_PATH | O_DIRECTORY);
    ASSERT_TRUE(dir);
    Fd current = std::move(*dir);
    for (int i = 0; i < 300; ++i) {
        ASSERT_EQ(::mkdirat(current.get(), "d", 0755), 0);
        current.reset(::openat(current.get(), "d", O_PATH | O_DIRECTORY | O_CLOEXEC));
        ASSERT_TRUE(current);
    }
    current.reset();
    struct rlimit low = old;
    low.rlim_cur = 64;
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
    auto removed = remove_at(m_root.get(), "deep");
    ::setrlimit(RLIMIT_NOFILE, &old);
    ASSERT_TRUE(removed) << removed.error().text();
    EXPECT_TRUE(fs::is_empty(root()));
}

TEST_F(SafeTree, EmptyDirectoryKeepsTheDirectory) {
    fs::create_directories(root() / "d/x");
    write_file(root() / "d/f", "x");
    fs::create_symlink(outside(), root() / "d/l");
    auto dir = open_in_root(m_root, "d", O_PATH | O_DIRECTORY);
    ASSERT_TRUE(dir);
    ASSERT_TRUE(empty_directory(dir->get(), "d"));
    EXPECT_TRUE(fs::is_directory(root() / "d"));
    EXPECT_TRUE(fs::is_empty(root() / "d"));
}

} // namespace
} // namespace microvm::base
