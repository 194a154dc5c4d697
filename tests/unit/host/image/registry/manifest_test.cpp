#include <gtest/gtest.h>

#include "host/image/registry/manifest.hpp"
#include "host/image/registry/media_types.hpp"

namespace microvm::image {
namespace {

std::string const hex_a(64, 'a');
std::string const hex_b(64, 'b');

std::string manifest(std::string const& layer_type = "application/vnd.oci.image.layer.v1.tar+gzip",
                     std::string const& config_type = "application/vnd.oci.image.config.v1+json") {
    return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
        "config":{"mediaType":")" +
           config_type + R"(","digest":"sha256:)" + hex_a + R"(","size":10},
        "layers":[{"mediaType":")" +
           layer_type + R"(","digest":"sha256:)" + hex_b + R"(","size":20}]})";
}

TEST(ImageMediaTypes, Kinds) {
    EXPECT_EQ(manifest_kind(media_type::oci_manifest).value(), ManifestKind::image);
    EXPECT_EQ(manifest_kind(media_type::docker_manifest).value(), ManifestKind::image);
    EXPECT_EQ(manifest_kind(media_type::oci_index).value(), ManifestKind::index);
    EXPECT_EQ(manifest_kind(media_type::docker_manifest_list).value(), ManifestKind::index);
    EXPECT_EQ(manifest_kind("application/vnd.oci.image.index.v1+json; charset=utf-8").value(),
              ManifestKind::index);
    EXPECT_EQ(
        manifest_kind("application/vnd.docker.distribution.manifest.v1+prettyjws").error().text(),
        "unsupported media type application/vnd.docker.distribution.manifest.v1+prettyjws "
        "(Docker schema 1 manifests are deprecated and not supported)");
    EXPECT_EQ(manifest_kind("text/html").error().text(), "unsupported media type text/html");
}

TEST(ImageMediaTypes, Layers) {
    EXPECT_TRUE(is_supported_layer("application/vnd.oci.image.layer.v1.tar+zstd"));
    EXPECT_TRUE(is_supported_layer("application/vnd.docker.image.rootfs.diff.tar.gzip"));
    EXPECT_FALSE(is_supported_layer("application/vnd.oci.image.layer.v1.tar+bzip2"));
}

TEST(ImageManifestParse, ParsesConfigAndLayers) {
    auto text = manifest();
    auto media = manifest_media_type(text, "application/json");
    ASSERT_TRUE(media);
    EXPECT_EQ(*media, media_type::oci_manifest);
    auto m = parse_image_manifest(text, *media);
    ASSERT_TRUE(m) << m.error().text();
    EXPECT_EQ(m->config.digest.hex, hex_a);
    EXPECT_EQ(m->config.size, 10u);
    ASSERT_EQ(m->layers.size(), 1u);
    EXPECT_EQ(m->layers[0].digest.hex, hex_b);
}

TEST(ImageManifestParse, MediaTypeFallsBackToContentType) {
    EXPECT_EQ(manifest_media_type(R"({"schemaVersion":2})",
                                  "application/vnd.oci.image.index.v1+json; charset=utf-8")
                  .value(),
              media_type::oci_index);
    EXPECT_FALSE(manifest_media_type("[1]", "x"));
}

TEST(ImageManifestParse, Rejections) {
    EXPECT_EQ(parse_image_manifest(manifest("application/x-foo"), "x").error().text(),
              "unsupported media type application/x-foo for layer 0");
    EXPECT_EQ(parse_image_manifest(manifest("application/vnd.oci.image.layer.v1.tar",
                                            "application/vnd.cncf.helm.config.v1+json"),
                                   "x")
                  .error()
                  .text(),
              "unsupported media type application/vnd.cncf.helm.config.v1+json for the config "
              "(not a container image)");
    EXPECT_FALSE(parse_image_manifest(R"({"layers":[]})", "x"));
    EXPECT_FALSE(parse_image_manifest("not json", "x"));
    auto md5 = R"({"config":{"mediaType":"application/vnd.oci.image.config.v1+json",
        "digest":"md5:abc","size":1},"layers":[]})";
    EXPECT_NE(parse_image_manifest(md5, "x").error().text().find("unsupported digest algorithm"),
              std::string::npos);
}

TEST(ImageIndexParse, ParsesEntriesWithPlatforms) {
    std::string text = R"({"schemaVersion":2,"manifests":[
        {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:)" +
                       hex_a + R"(","size":5,
         "platform":{"os":"linux","architecture":"arm","variant":"v7"}}]})";
    auto index = parse_image_index(text, media_type::oci_index);
    ASSERT_TRUE(index) << index.error().text();
    ASSERT_EQ(index->manifests.size(), 1u);
    EXPECT_EQ(index->manifests[0].platform, (Platform{"linux", "arm", "v7"}));
    EXPECT_FALSE(parse_image_index(R"({"manifests":[{"digest":"sha256:x"}]})", "x"));
}

TEST(ImageIndexParse, PlatformFieldThatIsNotAStringIsAnError) {
    // Found by tests/fuzz/manifest_fuzz.cpp: json::value("os", "") threw on a number.
    std::string text = R"({"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json",
        "digest":"sha256:)" +
                       hex_a + R"(","size":5,"platform":{"os":5,"architecture":"amd64"}}]})";
    auto index = parse_image_index(text, media_type::oci_index);
    ASSERT_FALSE(index);
    EXPECT_EQ(index.error().text(), "index entry 0 has a platform whose os is not a string");
}

TEST(ImageConfigCreated, Created) {
    EXPECT_EQ(config_created(R"({"created":"2026-01-02T03:04:05Z"})"), "2026-01-02T03:04:05Z");
    EXPECT_EQ(config_created("{}"), "");
    EXPECT_EQ(config_created("nope"), "");
}

} // namespace
} // namespace microvm::image
