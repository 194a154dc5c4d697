#include <gtest/gtest.h>

#include "host/image/registry/manifest.hpp"
#include "host/image/registry/platform.hpp"

namespace microvm::image {
namespace {

TEST(ImagePlatform, Parse) {
    EXPECT_EQ(parse_platform("linux/amd64").value(), (Platform{"linux", "amd64", ""}));
    EXPECT_EQ(parse_platform("linux/arm64/v8").value(), (Platform{"linux", "arm64", "v8"}));
    EXPECT_EQ(parse_platform("linux/x86_64").value().architecture, "amd64");
    EXPECT_EQ(parse_platform("linux/aarch64").value().architecture, "arm64");
    EXPECT_EQ(parse_platform("linux").error().text(),
              "invalid platform \"linux\": expected os/arch[/variant]");
    EXPECT_FALSE(parse_platform("linux//v7"));
    EXPECT_FALSE(parse_platform("a/b/c/d"));
    EXPECT_EQ((Platform{"linux", "arm", "v7"}).to_string(), "linux/arm/v7");
}

TEST(ImagePlatform, HostIsLinuxInGoSpelling) {
    auto host = host_platform();
    EXPECT_EQ(host.os, "linux");
#if defined(__x86_64__)
    EXPECT_EQ(host.architecture, "amd64");
#endif
}

TEST(ImagePlatform, Matching) {
    Platform amd{"linux", "amd64", ""};
    EXPECT_TRUE(platform_matches(amd, {"linux", "amd64", ""}));
    EXPECT_FALSE(platform_matches(amd, {"linux", "arm64", ""}));
    EXPECT_FALSE(platform_matches(amd, {"windows", "amd64", ""}));
    Platform arm64v8{"linux", "arm64", "v8"};
    EXPECT_TRUE(platform_matches(arm64v8, {"linux", "arm64", ""}));
    EXPECT_TRUE(platform_matches({"linux", "arm64", ""}, {"linux", "arm64", "v8"}));
    Platform armv7{"linux", "arm", "v7"};
    EXPECT_FALSE(platform_matches(armv7, {"linux", "arm", "v6"}));
    EXPECT_TRUE(platform_matches(armv7, {"linux", "arm", "v7"}));
}

Descriptor entry(std::string const& hex_char, Platform platform,
                 std::string media = "application/vnd.oci.image.manifest.v1+json") {
    return Descriptor{media, Digest{std::string(64, hex_char[0])}, 100, platform};
}

TEST(ImageSelectManifest, PicksThePlatformAndListsTheOthers) {
    ImageIndex index{"application/vnd.oci.image.index.v1+json",
                     {entry("a", {"linux", "arm", "v7"}), entry("b", {"linux", "amd64", ""}),
                      entry("c", {"unknown", "unknown", ""}),
                      entry("d", {"linux", "arm64", "v8"})}};
    EXPECT_EQ(select_manifest(index, {"linux", "amd64", ""})->digest.hex, std::string(64, 'b'));
    EXPECT_EQ(select_manifest(index, {"linux", "arm64", ""})->digest.hex, std::string(64, 'd'));
    EXPECT_EQ(select_manifest(index, {"linux", "s390x", ""}).error().text(),
              "no image for platform linux/s390x (available: linux/arm/v7, linux/amd64, "
              "linux/arm64/v8)");
    EXPECT_EQ(select_manifest(ImageIndex{}, {"linux", "amd64", ""}).error().text(),
              "no image for platform linux/amd64 (available: none)");
}

} // namespace
} // namespace microvm::image
