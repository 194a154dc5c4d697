// Hostile layers, one per attack. Each test ends with the fixture's check that nothing
// outside the root (the victim directory next to it) was created or changed; each also
// checks that the unpack failed with a message naming the problem, or that the entry was
// neutralised: it landed inside the root.
#include <gtest/gtest.h>

#include "unpack_fixture.hpp"

namespace microvm::image::test {
namespace {

using UnpackAttack = UnpackTest;

bool mentions(std::string const& text, std::string const& part) {
    return text.find(part) != std::string::npos;
}

TEST_F(UnpackAttack, PathTraversalIsRefused) {
    auto const error = unpack_error({LayerBuilder().file("../victim/secret", "pwned")});
    EXPECT_TRUE(mentions(error, "entry \"../victim/secret\": name contains \"..\"")) << error;
    auto const deeper = unpack_error({LayerBuilder().file("a/../../../victim/new", "pwned")});
    EXPECT_TRUE(mentions(deeper, "contains \"..\"")) << deeper;
}

TEST_F(UnpackAttack, AbsoluteNameLandsInsideTheRoot) {
    std::string const host_path = (victim() / "secret").string();
    unpack_ok({LayerBuilder().file(host_path, "pwned")});
    EXPECT_EQ(content(host_path.substr(1)), "pwned");
}

TEST_F(UnpackAttack, AbsoluteSymlinkInParentPath) {
    // The symlink points at the victim's host path; "escape/secret" must not reach it. The
    // link's target is created inside the root, as containerd would, and the file lands there.
    unpack_ok({LayerBuilder().symlink("escape", victim().string()).file("escape/secret", "pwned")});
    EXPECT_EQ(content(victim().relative_path().string() + "/secret"), "pwned");
    EXPECT_TRUE(fs::is_symlink(root() / "escape"));
}

TEST_F(UnpackAttack, AbsoluteSymlinkResolvesAgainstTheRoot) {
    // When the link's target exists inside the root, the entry lands there.
    std::string const inside = victim().relative_path().string();
    unpack_ok({LayerBuilder().dir(inside).symlink("escape", victim().string()),
               LayerBuilder().file("escape/secret", "pwned")});
    EXPECT_EQ(content(inside + "/secret"), "pwned");
    EXPECT_TRUE(fs::is_symlink(root() / "escape"));
}

TEST_F(UnpackAttack, RelativeSymlinkEscapeIsClampedAtTheRoot) {
    // root/../victim is the victim; inside the root ".." stops at the root.
    unpack_ok({LayerBuilder().dir("victim").symlink("up", "../victim"),
               LayerBuilder().file("up/secret", "pwned").file("up/dir/config", "pwned")});
    EXPECT_EQ(content("victim/secret"), "pwned");
    EXPECT_EQ(content("victim/dir/config"), "pwned");
}

TEST_F(UnpackAttack, SymlinkPlantedEarlierInTheSameLayer) {
    unpack_ok({LayerBuilder()
                   .symlink("a", "../../../../../../../../" + victim().relative_path().string())
                   .file("a/secret", "pwned")});
    EXPECT_EQ(content(victim().relative_path().string() + "/secret"), "pwned");
}

TEST_F(UnpackAttack, SymlinkPlantedByLowerLayerInDeepParentPath) {
    // root/usr/../../victim would be the victim next to the root; inside it is root/victim.
    unpack_ok({LayerBuilder().dir("usr").symlink("usr/lib", "../../victim"),
               LayerBuilder().dir("usr/lib/dir", 0777).file("usr/lib/secret", "pwned")});
    EXPECT_EQ(content("victim/secret"), "pwned");
    EXPECT_TRUE(fs::is_directory(root() / "victim/dir"));
}

TEST_F(UnpackAttack, DanglingLinkBehindAnotherLinkIsAnError) {
    // Where a dangling link's target would be is ambiguous when its own path crosses a link;
    // nothing is created then.
    auto const error = unpack_error({LayerBuilder()
                                         .dir("real")
                                         .symlink("alias", "real")
                                         .symlink("real/out", "../../victim")
                                         .file("alias/out/secret", "pwned")});
    EXPECT_TRUE(mentions(error, "is a symlink to a directory that does not exist")) << error;
    EXPECT_FALSE(exists("victim"));
}

TEST_F(UnpackAttack, FileOverSymlinkLeafReplacesTheLink) {
    unpack_ok({LayerBuilder().symlink("link", (victim() / "secret").string()),
               LayerBuilder().file("link", "pwned", 0777)});
    EXPECT_FALSE(fs::is_symlink(root() / "link"));
    EXPECT_EQ(content("link"), "pwned");
}

TEST_F(UnpackAttack, DirectoryOverSymlinkLeafReplacesTheLink) {
    // A directory entry must not chmod, chown or fill the directory a link points at.
    unpack_ok({LayerBuilder().symlink("d", (victim() / "dir").string()),
               LayerBuilder().dir("d", 0777).owner(1234, 1234).file("d/config", "pwned")});
    EXPECT_TRUE(fs::is_directory(fs::symlink_status(root() / "d")));
    EXPECT_EQ(content("d/config"), "pwned");
}

TEST_F(UnpackAttack, HardlinkSourceOutsideTheRoot) {
    auto const relative = unpack_error({LayerBuilder().hardlink("h", "../victim/secret")});
    EXPECT_TRUE(mentions(relative, "hard link target")) << relative;
    EXPECT_TRUE(mentions(relative, "contains \"..\"")) << relative;
    // An absolute target is a path below the root, where the victim does not exist.
    auto const absolute =
        unpack_error({LayerBuilder().hardlink("h", (victim() / "secret").string())});
    EXPECT_TRUE(mentions(absolute, "no such file in the layers so far")) << absolute;
}

TEST_F(UnpackAttack, HardlinkThroughAbsoluteSymlink) {
    // go-microvm's gap: lstat and link() follow an intermediate symlink to the host file.
    auto const error = unpack_error({LayerBuilder().symlink("a", victim().string()),
                                     LayerBuilder().hardlink("stolen", "a/secret")});
    EXPECT_TRUE(mentions(error, "entry \"stolen\": hard link to \"a/secret\": its path crosses a "
                                "symlink"))
        << error;
    EXPECT_FALSE(exists("stolen"));
}

TEST_F(UnpackAttack, HardlinkThroughRelativeSymlinkEvenInsideTheRoot) {
    auto const error = unpack_error(
        {LayerBuilder().dir("real").file("real/f", "x").symlink("a", "real").hardlink("h", "a/f")});
    EXPECT_TRUE(mentions(error, "crosses a symlink")) << error;
}

TEST_F(UnpackAttack, HardlinkToSymlinkOrDirectory) {
    auto const to_link = unpack_error(
        {LayerBuilder().symlink("s", (victim() / "secret").string()).hardlink("h", "s")});
    EXPECT_TRUE(mentions(to_link, "the target is a symlink")) << to_link;
    fs::remove_all(root());
    fs::create_directory(root());
    auto const to_dir = unpack_error({LayerBuilder().dir("etc").hardlink("h", "etc")});
    EXPECT_TRUE(mentions(to_dir, "the target is not a regular file")) << to_dir;
}

TEST_F(UnpackAttack, WhiteoutThroughSymlinkedParent) {
    // "a/.wh.secret" resolves "a" inside the root, where there is no victim to delete.
    unpack_ok(
        {LayerBuilder().symlink("a", victim().string()).symlink("b", "../victim"),
         LayerBuilder().file("a/.wh.secret", "").file("b/.wh.secret", "").file("b/.wh.dir", "")});
    // Whiting out the link itself removes the link, not its target.
    unpack_ok({LayerBuilder().file(".wh.a", "")});
    EXPECT_FALSE(exists("a"));
}

TEST_F(UnpackAttack, OpaqueWhiteoutThroughSymlink) {
    // A symlink at the opaque directory itself is never followed, wherever it points.
    auto const outward = unpack_error({LayerBuilder().symlink("a", victim().string()),
                                       LayerBuilder().file("a/.wh..wh..opq", "")});
    EXPECT_TRUE(mentions(outward, "opaque whiteout in \"a\": it is not a directory")) << outward;
    fs::remove_all(root());
    fs::create_directory(root());
    auto const inward =
        unpack_error({LayerBuilder().dir("real").file("real/keep", "k").symlink("l", "real"),
                      LayerBuilder().file("l/.wh..wh..opq", "")});
    EXPECT_TRUE(mentions(inward, "opaque whiteout in \"l\": it is not a directory")) << inward;
    EXPECT_EQ(content("real/keep"), "k");
}

TEST_F(UnpackAttack, EntryReplacingTheRoot) {
    auto const error = unpack_error({LayerBuilder().symlink("./", victim().string())});
    EXPECT_TRUE(mentions(error, "would replace the root directory")) << error;
    auto const file = unpack_error({LayerBuilder().file(".", "x")});
    EXPECT_TRUE(mentions(file, "would replace the root directory")) << file;
}

TEST_F(UnpackAttack, SymlinkLoopInParent) {
    auto const error =
        unpack_error({LayerBuilder().symlink("a", "b").symlink("b", "a").file("a/x", "x")});
    EXPECT_TRUE(mentions(error, "entry \"a/x\"")) << error;
}

TEST_F(UnpackAttack, OverlongNamesAndTargets) {
    UnpackLimits limits;
    limits.max_path_length = 64;
    auto long_name =
        unpack({LayerBuilder().file(std::string(65, 'n'), "x")}, Compression::none, limits);
    ASSERT_FALSE(long_name);
    EXPECT_TRUE(mentions(long_name.error().text(), "name longer than 64 bytes"))
        << long_name.error().text();
    auto long_target =
        unpack({LayerBuilder().symlink("l", std::string(65, 't'))}, Compression::none, limits);
    ASSERT_FALSE(long_target);
    EXPECT_TRUE(mentions(long_target.error().text(), "longer than 64 bytes"))
        << long_target.error().text();
}

} // namespace
} // namespace microvm::image::test
