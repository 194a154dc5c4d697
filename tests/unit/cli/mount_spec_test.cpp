#include <gtest/gtest.h>

#include <filesystem>

#include "cli/mount_spec.hpp"

namespace microvm::cli {
namespace {

TEST(ParseVolume, HostGuestDefaultsToReadWrite) {
    auto mount = parse_volume("/srv/data:/data");
    ASSERT_TRUE(mount) << mount.error().text();
    EXPECT_EQ(mount->host_path, "/srv/data");
    EXPECT_EQ(mount->guest_path, "/data");
    EXPECT_FALSE(mount->read_only);
}

TEST(ParseVolume, ReadOnlyAndReadWriteSuffixes) {
    EXPECT_TRUE(parse_volume("/a:/b:ro")->read_only);
    EXPECT_FALSE(parse_volume("/a:/b:rw")->read_only);
}

TEST(ParseVolume, PrivilegedFilesAreRefusedUnlessSuidOrDevIsGiven) {
    auto plain = parse_volume("/a:/b");
    EXPECT_FALSE(plain->allow_setuid);
    EXPECT_FALSE(plain->allow_devices);
    auto both = parse_volume("/a:/b:rw,suid,dev");
    ASSERT_TRUE(both) << both.error().text();
    EXPECT_FALSE(both->read_only);
    EXPECT_TRUE(both->allow_setuid);
    EXPECT_TRUE(both->allow_devices);
    auto suid_only = parse_volume("/a:/b:suid");
    EXPECT_TRUE(suid_only->allow_setuid);
    EXPECT_FALSE(suid_only->allow_devices);
    // The last word wins, as in mount(8).
    auto undone = parse_volume("/a:/b:ro,dev,nodev,suid,nosuid");
    EXPECT_TRUE(undone->read_only);
    EXPECT_FALSE(undone->allow_setuid);
    EXPECT_FALSE(undone->allow_devices);
}

TEST(ParseVolume, RelativeHostPathIsMadeAbsolute) {
    auto mount = parse_volume("./src:/src:ro");
    ASSERT_TRUE(mount);
    EXPECT_EQ(mount->host_path, std::filesystem::current_path() / "src");
}

TEST(ParseVolume, BadSyntaxIsRejectedWithTheSpec) {
    EXPECT_EQ(parse_volume("/only-host").error().text(),
              "-v \"/only-host\": expected HOST:GUEST[:OPTIONS]");
    EXPECT_EQ(
        parse_volume("/a:/b:rx").error().text(),
        "-v \"/a:/b:rx\": unknown option \"rx\" (expected ro, rw, suid, nosuid, dev or nodev)");
    EXPECT_EQ(
        parse_volume("/a:/b:rw,exec").error().text(),
        "-v \"/a:/b:rw,exec\": unknown option \"exec\" (expected ro, rw, suid, nosuid, dev or "
        "nodev)");
    EXPECT_EQ(parse_volume(":/b").error().text(), "-v \":/b\": the host path is empty");
    EXPECT_EQ(parse_volume("/a:").error().text(), "-v \"/a:\": the guest path is empty");
    EXPECT_FALSE(parse_volume("/a:/b:ro:extra"));
}

TEST(ParseMount, DockerStyleKeyValues) {
    auto mount = parse_mount("type=virtiofs,source=/srv,target=/srv,readonly,tag=web");
    ASSERT_TRUE(mount) << mount.error().text();
    EXPECT_EQ(mount->host_path, "/srv");
    EXPECT_EQ(mount->guest_path, "/srv");
    EXPECT_TRUE(mount->read_only);
    EXPECT_EQ(mount->tag, "web");
    EXPECT_FALSE(parse_mount("type=virtiofs,src=/a,dst=/b,readonly=false")->read_only);
}

TEST(ParseMount, SuidAndDevKeys) {
    auto mount = parse_mount("type=virtiofs,source=/a,target=/b,suid,dev=true");
    ASSERT_TRUE(mount) << mount.error().text();
    EXPECT_TRUE(mount->allow_setuid);
    EXPECT_TRUE(mount->allow_devices);
    EXPECT_FALSE(parse_mount("type=virtiofs,source=/a,target=/b,suid=false")->allow_setuid);
    EXPECT_EQ(parse_mount("type=virtiofs,source=/a,target=/b,dev=maybe").error().text(),
              "--mount \"type=virtiofs,source=/a,target=/b,dev=maybe\": dev takes true or false");
}

TEST(ParseMount, RejectsOtherTypesAndUnknownKeys) {
    EXPECT_EQ(parse_mount("type=bind,source=/a,target=/b").error().text(),
              "--mount \"type=bind,source=/a,target=/b\": type \"bind\" is not supported (only "
              "virtiofs)");
    EXPECT_FALSE(parse_mount("source=/a,target=/b"));
    EXPECT_FALSE(parse_mount("type=virtiofs,target=/b"));
    EXPECT_FALSE(parse_mount("type=virtiofs,source=/a"));
    EXPECT_FALSE(parse_mount("type=virtiofs,source=/a,target=/b,colour=red"));
}

TEST(AssignTags, DerivedFromGuestPathAndUnique) {
    std::vector<VirtioFSMount> mounts(4);
    mounts[0].guest_path = "/src/app";
    mounts[1].guest_path = "/src/app/";
    mounts[2].guest_path = "/data";
    mounts[2].tag = "mine";
    mounts[3].guest_path = "/weird path!";
    assign_tags(mounts);
    EXPECT_EQ(mounts[0].tag, "src-app");
    EXPECT_EQ(mounts[1].tag, "src-app-2");
    EXPECT_EQ(mounts[2].tag, "mine");
    EXPECT_EQ(mounts[3].tag, "weird-path");
}

TEST(AssignTags, LongGuestPathsStayWithinTheVirtioFsLimit) {
    std::vector<VirtioFSMount> mounts(2);
    mounts[0].guest_path = "/" + std::string(80, 'x');
    mounts[1].guest_path = "/" + std::string(80, 'x');
    assign_tags(mounts);
    EXPECT_LE(mounts[0].tag.size(), 36u);
    EXPECT_LE(mounts[1].tag.size(), 36u);
    EXPECT_NE(mounts[0].tag, mounts[1].tag);
}

} // namespace
} // namespace microvm::cli
