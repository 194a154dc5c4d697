// Unpacking well-formed layers: entry types, metadata, compression.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "host/image/unpack/unpack.hpp"
#include "unpack_fixture.hpp"

namespace microvm::image::test {
namespace {

using Unpack = UnpackTest;

LayerBuilder sample_layer() {
    LayerBuilder layer;
    layer.dir("etc", 0755)
        .file("etc/hostname", "box\n")
        .dir("usr/bin", 0755)
        .file("usr/bin/tool", "#!/bin/sh\n", 0755)
        .symlink("bin", "usr/bin")
        .hardlink("usr/bin/tool2", "usr/bin/tool");
    return layer;
}

TEST_F(Unpack, FilesDirectoriesSymlinksAndHardLinks) {
    unpack_ok({sample_layer()});
    EXPECT_EQ(content("etc/hostname"), "box\n");
    EXPECT_EQ(content("usr/bin/tool"), "#!/bin/sh\n");
    EXPECT_EQ(fs::read_symlink(root() / "bin"), "usr/bin");
    EXPECT_EQ(stat_of("usr/bin/tool2").st_ino, stat_of("usr/bin/tool").st_ino);
    EXPECT_EQ(stat_of("usr/bin/tool").st_nlink, 2u);
    // "usr" had no entry of its own: it is implied, with Docker's mode.
    EXPECT_EQ(stat_of("usr").st_mode & 07777, 0755u);
}

TEST_F(Unpack, GzipAndZstdLayers) {
    for (auto compression : {Compression::gzip, Compression::zstd}) {
        fs::remove_all(root());
        fs::create_directory(root());
        unpack_ok({sample_layer(), LayerBuilder().file("etc/hostname", "second\n")}, compression);
        EXPECT_EQ(content("etc/hostname"), "second\n");
        EXPECT_EQ(content("bin/tool"), "#!/bin/sh\n");
    }
}

TEST_F(Unpack, LaterEntryUnderSymlinkedParentLandsInsideTheRoot) {
    // The usr-merge case: bin -> usr/bin from a lower layer, then "bin/foo".
    unpack_ok({sample_layer(), LayerBuilder().file("bin/foo", "foo")});
    EXPECT_EQ(content("usr/bin/foo"), "foo");
    EXPECT_TRUE(fs::is_symlink(root() / "bin"));
}

TEST_F(Unpack, ModesIncludingSetuidSetgidAndSticky) {
    unpack_ok({LayerBuilder()
                   .file("usr/bin/su", "su", 04755)
                   .file("usr/bin/wall", "wall", 02755)
                   .dir("tmp", 01777)
                   .dir("locked", 0500)
                   .file("locked/inside", "x", 0400)
                   .file("private", "p", 0600)});
    EXPECT_EQ(stat_of("usr/bin/su").st_mode & 07777, 04755u);
    EXPECT_EQ(stat_of("usr/bin/wall").st_mode & 07777, 02755u);
    EXPECT_EQ(stat_of("tmp").st_mode & 07777, 01777u);
    EXPECT_EQ(stat_of("locked").st_mode & 07777, 0500u);
    EXPECT_EQ(stat_of("locked/inside").st_mode & 07777, 0400u);
    EXPECT_EQ(stat_of("private").st_mode & 07777, 0600u);
}

TEST_F(Unpack, OwnershipIsKeptWhenRunningAsRoot) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "needs root";
    }
    unpack_ok({LayerBuilder()
                   .dir("home/user", 0700)
                   .owner(1000, 1000)
                   .file("home/user/file", "x", 0640)
                   .owner(1000, 100)
                   .file("usr/bin/passwd", "pw", 04755)
                   .owner(0, 0)
                   .file("usr/bin/games", "g", 06755)
                   .owner(5, 60)
                   .symlink("home/user/link", "file")
                   .owner(1000, 1000)});
    EXPECT_EQ(stat_of("home/user").st_uid, 1000u);
    EXPECT_EQ(stat_of("home/user/file").st_uid, 1000u);
    EXPECT_EQ(stat_of("home/user/file").st_gid, 100u);
    EXPECT_EQ(stat_of("home/user/link").st_uid, 1000u);
    // chown clears setuid/setgid; the mode is applied after it.
    EXPECT_EQ(stat_of("usr/bin/games").st_uid, 5u);
    EXPECT_EQ(stat_of("usr/bin/games").st_mode & 07777, 06755u);
    EXPECT_EQ(stat_of("usr/bin/passwd").st_mode & 07777, 04755u);
}

TEST_F(Unpack, ModificationTimes) {
    unpack_ok({LayerBuilder()
                   .dir("d")
                   .mtime(1'000'000'000)
                   .file("d/f", "x")
                   .mtime(1'100'000'000)
                   .symlink("d/l", "f")
                   .mtime(1'200'000'000)});
    EXPECT_EQ(stat_of("d/f").st_mtim.tv_sec, 1'100'000'000);
    EXPECT_EQ(stat_of("d/l").st_mtim.tv_sec, 1'200'000'000);
    // Set last, so the entries created inside do not change it.
    EXPECT_EQ(stat_of("d").st_mtim.tv_sec, 1'000'000'000);
}

TEST_F(Unpack, ExtendedAttributesUserAndCapabilityKeptOthersDropped) {
    // A valid VFS_CAP_REVISION_2 value: cap_net_raw permitted and effective.
    std::string cap(20, '\0');
    cap[0] = 0x01;
    cap[3] = 0x02; // magic 0x02000001, flags effective
    cap[5] = 0x20; // bit 13 (CAP_NET_RAW) of the permitted low word
    unpack_ok({LayerBuilder()
                   .file("usr/bin/ping", "ping", 0755)
                   .xattr("security.capability", cap)
                   .xattr("user.note", "kept")
                   .xattr("user.overlay.opaque", "y")
                   .xattr("trusted.overlay.redirect", "/etc")
                   .xattr("security.selinux", "system_u:object_r:bin_t:s0")});
    auto const path = (root() / "usr/bin/ping").string();
    char buf[64];
    ssize_t n = ::getxattr(path.c_str(), "user.note", buf, sizeof buf);
    if (n < 0 && errno == ENOTSUP) {
        GTEST_SKIP() << "the test file system has no user xattrs";
    }
    ASSERT_EQ(n, 4);
    EXPECT_EQ(std::string(buf, 4), "kept");
    if (::geteuid() == 0) {
        EXPECT_EQ(::getxattr(path.c_str(), "security.capability", buf, sizeof buf), 20);
    }
    EXPECT_LT(::getxattr(path.c_str(), "user.overlay.opaque", buf, sizeof buf), 0);
    EXPECT_LT(::getxattr(path.c_str(), "trusted.overlay.redirect", buf, sizeof buf), 0);
}

TEST_F(Unpack, DeviceNodesFifosAndSocketsAreSkipped) {
    auto stats = unpack({LayerBuilder()
                             .special("dev/null", AE_IFCHR)
                             .special("dev/sda", AE_IFBLK)
                             .special("run/fifo", AE_IFIFO)
                             .file("ok", "ok")});
    ASSERT_TRUE(stats) << stats.error().text();
    EXPECT_EQ(stats->skipped_special, 3u);
    EXPECT_EQ(stats->entries, 4u);
    EXPECT_FALSE(exists("dev/null"));
    EXPECT_FALSE(exists("dev/sda"));
    EXPECT_FALSE(exists("run/fifo"));
    EXPECT_EQ(content("ok"), "ok");
}

TEST_F(Unpack, LaterLayerReplacesFilesSymlinksAndDirectories) {
    unpack_ok({LayerBuilder()
                   .file("a", "one")
                   .hardlink("a2", "a")
                   .dir("d")
                   .file("d/inner", "x")
                   .symlink("s", "a"),
               LayerBuilder().file("a2", "two").file("d", "now a file").dir("s")});
    // Replacing one name of a hard-linked pair leaves the other alone.
    EXPECT_EQ(content("a"), "one");
    EXPECT_EQ(content("a2"), "two");
    EXPECT_EQ(content("d"), "now a file");
    EXPECT_TRUE(fs::is_directory(fs::symlink_status(root() / "s")));
}

TEST_F(Unpack, HardLinksAcrossLayersAndToThemselves) {
    unpack_ok(
        {LayerBuilder().file("usr/lib/libc.so", "elf"),
         LayerBuilder().hardlink("lib-copy", "/usr/lib/libc.so").hardlink("lib-copy", "lib-copy")});
    EXPECT_EQ(stat_of("lib-copy").st_ino, stat_of("usr/lib/libc.so").st_ino);
    EXPECT_EQ(content("lib-copy"), "elf");
}

TEST_F(Unpack, SameNameTwiceInOneLayerKeepsTheLast) {
    unpack_ok({LayerBuilder().file("f", "first").file("f", "second").dir("d").dir("d", 0700)});
    EXPECT_EQ(content("f"), "second");
    EXPECT_EQ(stat_of("d").st_mode & 07777, 0700u);
}

TEST_F(Unpack, NamesAreNormalized) {
    unpack_ok({LayerBuilder().dir("./").file("./a//b", "x").file("/abs", "y").dir(".")});
    EXPECT_EQ(content("a/b"), "x");
    EXPECT_EQ(content("abs"), "y");
}

TEST_F(Unpack, NonAsciiNamesKeepTheirBytes) {
    unpack_ok({LayerBuilder().file("caf\xc3\xa9/na\xc3\xafve", "utf-8").file("raw\xff", "latin")});
    EXPECT_EQ(content("caf\xc3\xa9/na\xc3\xafve"), "utf-8");
    EXPECT_EQ(content("raw\xff"), "latin");
}

TEST_F(Unpack, EmptyLayerAndNoLayers) {
    unpack_ok({LayerBuilder()});
    auto stats = unpack_layers({}, root());
    ASSERT_TRUE(stats) << stats.error().text();
    EXPECT_EQ(stats->entries, 0u);
}

TEST_F(Unpack, CorruptLayerIsAnError) {
    auto const bad = base() / "layers" / "bad.tar.gz";
    std::ofstream(bad) << "\x1f\x8b\x08\x00garbage that is not gzip";
    std::vector<fs::path> layers{bad};
    auto stats = unpack_layers(layers, root());
    ASSERT_FALSE(stats);
    EXPECT_NE(stats.error().text().find("layer 1 of 1: layer " + bad.string()), std::string::npos)
        << stats.error().text();
}

} // namespace
} // namespace microvm::image::test
