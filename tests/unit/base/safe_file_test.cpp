#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "base/safe_file.hpp"
#include "base/temp_dir.hpp"
#include "support/test_support.hpp"

namespace microvm::base {
namespace {

namespace fs = std::filesystem;
using test::read_file;
using test::snapshot;
using test::write_file;

bool contains(std::string const& text, std::string const& part) {
    return text.find(part) != std::string::npos;
}

mode_t mode_of(fs::path const& path) {
    struct stat st {};
    EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
    return st.st_mode;
}

// A temp dir holding `root` (the untrusted tree) next to `outside` (host files the image must
// never reach). Tests plant symlinks in root that aim at outside, then check outside's
// snapshot, and the listing of the temp dir itself, did not change.
class SafeFile : public ::testing::Test {
protected:
    void SetUp() override {
        auto dir = TempDir::create("microvm-safe-file-test-");
        ASSERT_TRUE(dir) << dir.error().text();
        m_tmp.emplace(std::move(*dir));
        fs::create_directories(root());
        fs::create_directories(outside() / "victim_dir");
        write_file(outside() / "victim_file", "host file");
        write_file(outside() / "victim_dir" / "microvm.json", "host config");
        auto fd = open_root(root());
        ASSERT_TRUE(fd) << fd.error().text();
        m_root = std::move(*fd);
        m_outside_before = snapshot(outside());
        m_top_before = top_listing();
    }

    void TearDown() override {
        EXPECT_EQ(snapshot(outside()), m_outside_before) << "a write escaped the root";
        EXPECT_EQ(top_listing(), m_top_before) << "something was created beside the root";
    }

    fs::path tmp() const { return m_tmp->path(); }
    fs::path root() const { return tmp() / "root"; }
    fs::path outside() const { return tmp() / "outside"; }
    Fd const& root_fd() const { return m_root; }

    std::map<std::string, std::string> top_listing() const {
        std::map<std::string, std::string> out;
        for (auto const& entry : fs::directory_iterator(tmp())) {
            out[entry.path().filename().string()] = entry.is_directory() ? "dir" : "other";
        }
        return out;
    }

    // Every file a write may leave behind: the tree below root, with no temporary files.
    std::map<std::string, std::string> root_tree() const { return snapshot(root()); }

private:
    std::optional<TempDir> m_tmp;
    Fd m_root;
    std::map<std::string, std::string> m_outside_before;
    std::map<std::string, std::string> m_top_before;
};

// --- open_root / open_in_root ---

TEST_F(SafeFile, OpenRootNamesAMissingPath) {
    auto fd = open_root(tmp() / "missing");
    ASSERT_FALSE(fd);
    EXPECT_EQ(fd.error().errno_value(), ENOENT);
    EXPECT_TRUE(contains(fd.error().text(), "open root " + (tmp() / "missing").string()));
}

TEST_F(SafeFile, OpenRootRefusesAFile) {
    auto fd = open_root(outside() / "victim_file");
    ASSERT_FALSE(fd);
    EXPECT_EQ(fd.error().errno_value(), ENOTDIR);
}

TEST_F(SafeFile, OpenInRootTreatsALeadingSlashAsTheRoot) {
    write_file(root() / "f", "x");
    auto fd = open_in_root(root_fd(), "/f", O_RDONLY);
    ASSERT_TRUE(fd) << fd.error().text();
}

TEST_F(SafeFile, OpenInRootRefusesDotDotOutOfTheRoot) {
    auto fd = open_in_root(root_fd(), "../outside/victim_file", O_RDONLY);
    ASSERT_FALSE(fd);
    EXPECT_EQ(fd.error().errno_value(), EXDEV);
    EXPECT_EQ(fd.error().text(), "openat2 ../outside/victim_file (the path leaves the root): " +
                                     std::string(std::strerror(EXDEV)));
}

TEST_F(SafeFile, OpenInRootClampsDotDotAtTheRootInRootMode) {
    fs::create_directories(root() / "outside");
    write_file(root() / "outside" / "victim_file", "inside copy");
    auto fd = open_in_root(root_fd(), "../../outside/victim_file", O_RDONLY, 0, Resolve::in_root);
    ASSERT_TRUE(fd) << fd.error().text();
    char buf[32] = {};
    ASSERT_GT(::read(fd->get(), buf, sizeof buf - 1), 0);
    EXPECT_STREQ(buf, "inside copy");
}

TEST_F(SafeFile, OpenInRootRefusesANulByte) {
    auto fd = open_in_root(root_fd(), std::string_view("a\0b", 3), O_RDONLY);
    ASSERT_FALSE(fd);
    EXPECT_EQ(fd.error().errno_value(), EINVAL);
}

TEST_F(SafeFile, OpenInRootNamesTheSymlinkPolicyInItsError) {
    fs::create_symlink(outside() / "victim_dir", root() / "etc");
    auto fd = open_in_root(root_fd(), "etc/microvm.json", O_RDONLY);
    ASSERT_FALSE(fd);
    EXPECT_EQ(fd.error().errno_value(), ELOOP);
    EXPECT_TRUE(contains(fd.error().text(), "openat2 etc/microvm.json"));
    EXPECT_TRUE(contains(fd.error().text(), "symlink"));
}

TEST_F(SafeFile, CreateThroughADanglingSymlinkNeverCreatesOutside) {
    fs::create_symlink(outside() / "planted", root() / "f");
    auto strict = open_in_root(root_fd(), "f", O_WRONLY | O_CREAT, 0644);
    ASSERT_FALSE(strict);
    EXPECT_EQ(strict.error().errno_value(), ELOOP);

    // In root mode the link is followed, but its absolute target is taken inside the root.
    fs::create_directories(root() / outside().relative_path());
    auto scoped = open_in_root(root_fd(), "f", O_WRONLY | O_CREAT, 0644, Resolve::in_root);
    ASSERT_TRUE(scoped) << scoped.error().text();
    EXPECT_TRUE(fs::exists(root() / outside().relative_path() / "planted"));
}

// --- mkdirs_no_follow ---

TEST_F(SafeFile, MkdirsCreatesEveryMissingComponent) {
    fs::create_directories(root() / "a");
    auto made = mkdirs_no_follow(root_fd(), "a/b//./c/", 0755);
    ASSERT_TRUE(made) << made.error().text();
    EXPECT_TRUE(fs::is_directory(root() / "a" / "b" / "c"));
    auto again = mkdirs_no_follow(root_fd(), "/a/b/c", 0755);
    EXPECT_TRUE(again) << again.error().text();
}

TEST_F(SafeFile, MkdirsOfTheRootIsANoOp) {
    EXPECT_TRUE(mkdirs_no_follow(root_fd(), "", 0755));
    EXPECT_TRUE(mkdirs_no_follow(root_fd(), "/", 0755));
}

TEST_F(SafeFile, MkdirsRefusesAnAbsoluteSymlinkComponent) {
    fs::create_symlink(outside() / "victim_dir", root() / "etc");
    auto made = mkdirs_no_follow(root_fd(), "etc/sub", 0755);
    ASSERT_FALSE(made);
    EXPECT_EQ(made.error().errno_value(), ELOOP);
    EXPECT_TRUE(contains(made.error().text(), "mkdirs etc/sub: etc is a symlink"))
        << made.error().text();
}

TEST_F(SafeFile, MkdirsRefusesARelativeSymlinkComponent) {
    fs::create_directories(root() / "a");
    fs::create_symlink("../../..", root() / "a" / "b");
    auto made = mkdirs_no_follow(root_fd(), "a/b/outside/victim_dir/new", 0755);
    ASSERT_FALSE(made);
    EXPECT_EQ(made.error().errno_value(), ELOOP);
    EXPECT_TRUE(contains(made.error().text(), "a/b is a symlink")) << made.error().text();
}

TEST_F(SafeFile, MkdirsRefusesEvenASymlinkThatStaysInside) {
    fs::create_directories(root() / "usr" / "etc");
    fs::create_symlink("usr/etc", root() / "etc");
    auto made = mkdirs_no_follow(root_fd(), "etc", 0755);
    ASSERT_FALSE(made);
    EXPECT_EQ(made.error().errno_value(), ELOOP);
}

TEST_F(SafeFile, MkdirsRefusesADanglingSymlinkComponent) {
    fs::create_symlink(outside() / "not_yet", root() / "etc");
    auto made = mkdirs_no_follow(root_fd(), "etc", 0755);
    ASSERT_FALSE(made);
    EXPECT_EQ(made.error().errno_value(), ELOOP);
    EXPECT_TRUE(fs::is_symlink(root() / "etc"));
}

TEST_F(SafeFile, MkdirsRefusesAFileComponent) {
    write_file(root() / "etc", "not a dir");
    auto made = mkdirs_no_follow(root_fd(), "etc/sub", 0755);
    ASSERT_FALSE(made);
    EXPECT_EQ(made.error().errno_value(), ENOTDIR);
    EXPECT_TRUE(contains(made.error().text(), "etc exists and is not a directory"));
}

TEST_F(SafeFile, MkdirsRefusesDotDot) {
    auto made = mkdirs_no_follow(root_fd(), "a/../../outside/new", 0755);
    ASSERT_FALSE(made);
    EXPECT_EQ(made.error().errno_value(), EINVAL);
}

// --- write_file_in_root ---

TEST_F(SafeFile, WriteCreatesTheFileWithExactlyTheMode) {
    fs::create_directories(root() / "etc");
    mode_t const old_umask = ::umask(077);
    auto written = write_file_in_root(root_fd(), "etc/microvm.json", "{}\n", 0644);
    ::umask(old_umask);
    ASSERT_TRUE(written) << written.error().text();
    EXPECT_EQ(read_file(root() / "etc" / "microvm.json"), "{}\n");
    EXPECT_EQ(mode_of(root() / "etc" / "microvm.json") & 07777, 0644u);
    // No temporary file is left behind.
    EXPECT_EQ(root_tree(), (std::map<std::string, std::string>{
                               {"etc", "dir"}, {"etc/microvm.json", "file: {}\n"}}));
}

TEST_F(SafeFile, WriteReplacesAnExistingFileWithANewInode) {
    write_file(root() / "f", "old");
    struct stat before {};
    ASSERT_EQ(::stat((root() / "f").c_str(), &before), 0);
    ASSERT_TRUE(write_file_in_root(root_fd(), "f", "new", 0600));
    struct stat after {};
    ASSERT_EQ(::stat((root() / "f").c_str(), &after), 0);
    EXPECT_NE(before.st_ino, after.st_ino);
    EXPECT_EQ(read_file(root() / "f"), "new");
    EXPECT_EQ(after.st_mode & 07777, 0600u);
}

TEST_F(SafeFile, WriteWritesEmptyAndBinaryContent) {
    std::string const binary("a\0b\xff", 4);
    ASSERT_TRUE(write_file_in_root(root_fd(), "bin", binary, 0644));
    EXPECT_EQ(read_file(root() / "bin"), binary);
    ASSERT_TRUE(write_file_in_root(root_fd(), "empty", "", 0644));
    EXPECT_EQ(read_file(root() / "empty"), "");
}

TEST_F(SafeFile, WriteReplacesAnAbsoluteLeafSymlinkInsteadOfFollowingIt) {
    fs::create_directories(root() / "etc");
    fs::create_symlink(outside() / "victim_file", root() / "etc" / "microvm.json");
    auto written = write_file_in_root(root_fd(), "etc/microvm.json", "guest", 0644);
    ASSERT_TRUE(written) << written.error().text();
    EXPECT_FALSE(fs::is_symlink(root() / "etc" / "microvm.json"));
    EXPECT_EQ(read_file(root() / "etc" / "microvm.json"), "guest");
    EXPECT_EQ(read_file(outside() / "victim_file"), "host file");
}

TEST_F(SafeFile, WriteReplacesARelativeLeafSymlinkInsteadOfFollowingIt) {
    fs::create_directories(root() / "etc");
    fs::create_symlink("../../outside/victim_file", root() / "etc" / "microvm.json");
    auto written = write_file_in_root(root_fd(), "etc/microvm.json", "guest", 0644);
    ASSERT_TRUE(written) << written.error().text();
    EXPECT_EQ(read_file(root() / "etc" / "microvm.json"), "guest");
}

TEST_F(SafeFile, WriteReplacesADanglingLeafSymlinkWithoutCreatingItsTarget) {
    fs::create_symlink(outside() / "planted", root() / "f");
    auto written = write_file_in_root(root_fd(), "f", "guest", 0644, Resolve::in_root);
    ASSERT_TRUE(written) << written.error().text();
    EXPECT_EQ(read_file(root() / "f"), "guest");
    EXPECT_FALSE(fs::exists(outside() / "planted"));
}

TEST_F(SafeFile, WriteReplacesAHardLinkedLeafInsteadOfWritingThroughIt) {
    fs::create_hard_link(outside() / "victim_file", root() / "f");
    auto written = write_file_in_root(root_fd(), "f", "guest", 0644);
    ASSERT_TRUE(written) << written.error().text();
    EXPECT_EQ(read_file(root() / "f"), "guest");
    EXPECT_EQ(read_file(outside() / "victim_file"), "host file");
    EXPECT_EQ(fs::hard_link_count(outside() / "victim_file"), 1u);
}

TEST_F(SafeFile, WriteRefusesAnAbsoluteParentSymlink) {
    fs::create_symlink(outside() / "victim_dir", root() / "etc");
    auto written = write_file_in_root(root_fd(), "etc/microvm.json", "guest", 0644);
    ASSERT_FALSE(written);
    EXPECT_EQ(written.error().errno_value(), ELOOP);
    EXPECT_TRUE(contains(written.error().text(), "write etc/microvm.json: openat2 etc"))
        << written.error().text();
    EXPECT_TRUE(contains(written.error().text(), "symlink"));
    EXPECT_EQ(read_file(outside() / "victim_dir" / "microvm.json"), "host config");
}

TEST_F(SafeFile, WriteInRootModeKeepsAnAbsoluteParentSymlinkInsideTheRoot) {
    fs::create_symlink(outside() / "victim_dir", root() / "etc");
    // The target does not exist inside the root, so the write fails rather than escape.
    auto missing =
        write_file_in_root(root_fd(), "etc/microvm.json", "guest", 0644, Resolve::in_root);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().errno_value(), ENOENT);

    // Once it does, the write lands there: what the guest sees as /etc/microvm.json.
    fs::create_directories(root() / outside().relative_path() / "victim_dir");
    auto written =
        write_file_in_root(root_fd(), "etc/microvm.json", "guest", 0644, Resolve::in_root);
    ASSERT_TRUE(written) << written.error().text();
    EXPECT_EQ(read_file(root() / outside().relative_path() / "victim_dir" / "microvm.json"),
              "guest");
}

TEST_F(SafeFile, WriteThroughARelativeDirectorySymlinkNeverLeavesTheRoot) {
    fs::create_directories(root() / "a");
    fs::create_symlink("../..", root() / "a" / "b"); // root/a/b -> the temp dir holding outside/
    auto strict = write_file_in_root(root_fd(), "a/b/outside/victim_file", "guest", 0644);
    ASSERT_FALSE(strict);
    EXPECT_EQ(strict.error().errno_value(), ELOOP);

    // In root mode ".." stops at the root, so a/b is the root itself.
    fs::create_directories(root() / "outside");
    auto scoped =
        write_file_in_root(root_fd(), "a/b/outside/victim_file", "guest", 0644, Resolve::in_root);
    ASSERT_TRUE(scoped) << scoped.error().text();
    EXPECT_EQ(read_file(root() / "outside" / "victim_file"), "guest");
    EXPECT_EQ(read_file(outside() / "victim_file"), "host file");
}

TEST_F(SafeFile, WriteThroughDeepDotDotSymlinkNeverLeavesTheRoot) {
    fs::create_directories(root() / "a");
    fs::create_symlink("../../..", root() / "a" / "b");
    for (auto policy : {Resolve::no_symlinks, Resolve::in_root}) {
        auto written = write_file_in_root(root_fd(), "a/b/tmp/x", "guest", 0644, policy);
        EXPECT_FALSE(written);
    }
}

TEST_F(SafeFile, WriteRefusesADotDotEscape) {
    auto written = write_file_in_root(root_fd(), "../outside/victim_file", "guest", 0644);
    ASSERT_FALSE(written);
    EXPECT_EQ(written.error().errno_value(), EXDEV);
}

TEST_F(SafeFile, WriteRefusesADirectoryLeaf) {
    fs::create_directories(root() / "etc" / "microvm.json");
    auto written = write_file_in_root(root_fd(), "etc/microvm.json", "guest", 0644);
    ASSERT_FALSE(written);
    EXPECT_EQ(written.error().errno_value(), EISDIR);
    EXPECT_TRUE(contains(written.error().text(), "write etc/microvm.json"));
    EXPECT_EQ(root_tree(),
              (std::map<std::string, std::string>{{"etc", "dir"}, {"etc/microvm.json", "dir"}}));
}

TEST_F(SafeFile, WriteRefusesAPathThatNamesNoFile) {
    EXPECT_EQ(write_file_in_root(root_fd(), "/", "x", 0644).error().errno_value(), EINVAL);
    EXPECT_EQ(write_file_in_root(root_fd(), "a/..", "x", 0644).error().errno_value(), EINVAL);
}

TEST_F(SafeFile, WriteNeedsAnExistingParent) {
    auto written = write_file_in_root(root_fd(), "etc/microvm.json", "guest", 0644);
    ASSERT_FALSE(written);
    EXPECT_EQ(written.error().errno_value(), ENOENT);
    EXPECT_TRUE(root_tree().empty());
}

// --- read_file_in_root ---

TEST_F(SafeFile, ReadReturnsTheContent) {
    write_file(root() / "f", "content");
    auto text = read_file_in_root(root_fd(), "f", 1024);
    ASSERT_TRUE(text) << text.error().text();
    EXPECT_EQ(*text, "content");
}

TEST_F(SafeFile, ReadEnforcesTheSizeLimit) {
    write_file(root() / "f", "12345");
    auto exact = read_file_in_root(root_fd(), "f", 5);
    ASSERT_TRUE(exact) << exact.error().text();
    EXPECT_EQ(*exact, "12345");
    auto over = read_file_in_root(root_fd(), "f", 4);
    ASSERT_FALSE(over);
    EXPECT_EQ(over.error().errno_value(), EFBIG);
    EXPECT_TRUE(contains(over.error().text(), "read f"));
}

TEST_F(SafeFile, ReadRefusesAFifoWithoutOpeningIt) {
    ASSERT_EQ(::mkfifo((root() / "fifo").c_str(), 0644), 0);
    // Opening a FIFO for reading would block this test forever; it must fail at once.
    auto text = read_file_in_root(root_fd(), "fifo", 1024);
    ASSERT_FALSE(text);
    EXPECT_TRUE(contains(text.error().text(), "read fifo: not a regular file"));
}

TEST_F(SafeFile, ReadRefusesADirectory) {
    fs::create_directories(root() / "d");
    EXPECT_FALSE(read_file_in_root(root_fd(), "d", 1024));
}

TEST_F(SafeFile, ReadNeverFollowsALeafSymlinkOutOfTheRoot) {
    fs::create_symlink(outside() / "victim_file", root() / "f");
    auto strict = read_file_in_root(root_fd(), "f", 1024);
    ASSERT_FALSE(strict);
    EXPECT_EQ(strict.error().errno_value(), ELOOP);

    auto scoped = read_file_in_root(root_fd(), "f", 1024, Resolve::in_root);
    ASSERT_FALSE(scoped);
    EXPECT_EQ(scoped.error().errno_value(), ENOENT);

    fs::create_directories(root() / outside().relative_path());
    write_file(root() / outside().relative_path() / "victim_file", "inside copy");
    auto inside = read_file_in_root(root_fd(), "f", 1024, Resolve::in_root);
    ASSERT_TRUE(inside) << inside.error().text();
    EXPECT_EQ(*inside, "inside copy");
}

TEST_F(SafeFile, ReadOfAMissingFileKeepsEnoent) {
    auto text = read_file_in_root(root_fd(), "etc/missing", 1024);
    ASSERT_FALSE(text);
    EXPECT_EQ(text.error().errno_value(), ENOENT);
    EXPECT_TRUE(contains(text.error().text(), "read etc/missing: openat2 etc/missing"));
}

} // namespace
} // namespace microvm::base
