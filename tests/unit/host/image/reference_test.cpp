#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "host/image/reference.hpp"

namespace microvm::image {
namespace {

std::string const hex64(64, 'a');

Reference parsed(std::string const& text) {
    auto ref = parse_reference(text);
    EXPECT_TRUE(ref) << text << ": " << ref.error().text();
    return ref ? *ref : Reference{};
}

std::string error_of(std::string const& text) {
    auto ref = parse_reference(text);
    EXPECT_FALSE(ref) << text << " parsed as " << (ref ? ref->to_string() : "");
    return ref ? "" : ref.error().text();
}

TEST(Reference, ShortNameIsCompletedLikeDocker) {
    EXPECT_EQ(parsed("alpine"), (Reference{"docker.io", "library/alpine", "latest", ""}));
    EXPECT_EQ(parsed("alpine").to_string(), "docker.io/library/alpine:latest");
    EXPECT_EQ(parsed("user/app").to_string(), "docker.io/user/app:latest");
    EXPECT_EQ(parsed("alpine:3.20").to_string(), "docker.io/library/alpine:3.20");
    EXPECT_EQ(parsed("docker.io/alpine").to_string(), "docker.io/library/alpine:latest");
    EXPECT_EQ(parsed("index.docker.io/library/alpine").to_string(),
              "docker.io/library/alpine:latest");
}

TEST(Reference, RegistryWithPort) {
    auto ref = parsed("127.0.0.1:5055/test/app:1");
    EXPECT_EQ(ref.registry, "127.0.0.1:5055");
    EXPECT_EQ(ref.repository, "test/app");
    EXPECT_EQ(ref.tag, "1");
    EXPECT_EQ(ref.name(), "127.0.0.1:5055/test/app");
    // A single component on another registry does not get "library/".
    EXPECT_EQ(parsed("localhost:5000/app").to_string(), "localhost:5000/app:latest");
    EXPECT_EQ(parsed("[::1]:5000/app").registry, "[::1]:5000");
}

TEST(Reference, LocalhostAndDottedHostsAreRegistries) {
    EXPECT_EQ(parsed("localhost/x").to_string(), "localhost/x:latest");
    EXPECT_EQ(parsed("ghcr.io/owner/repo/sub:v1").repository, "owner/repo/sub");
    // Without a dot, colon or "localhost" the first component is a Docker Hub user.
    EXPECT_EQ(parsed("myhost/app").to_string(), "docker.io/myhost/app:latest");
}

TEST(Reference, Digest) {
    auto ref = parsed("alpine@sha256:" + hex64);
    EXPECT_EQ(ref.tag, "");
    EXPECT_EQ(ref.digest, "sha256:" + hex64);
    EXPECT_EQ(ref.to_string(), "docker.io/library/alpine@sha256:" + hex64);

    auto both = parsed("127.0.0.1:5055/test/app:1@sha256:" + hex64);
    EXPECT_EQ(both.tag, "1");
    EXPECT_EQ(both.digest, "sha256:" + hex64);
    EXPECT_EQ(both.to_string(), "127.0.0.1:5055/test/app:1@sha256:" + hex64);
}

TEST(Reference, ToStringRoundTrips) {
    for (std::string text :
         std::vector<std::string>{"alpine", "a/b/c:d", "127.0.0.1:5055/test/app:1",
                                  "quay.io/x/y@sha256:" + hex64, "localhost/x:1@sha256:" + hex64}) {
        auto ref = parsed(text);
        EXPECT_EQ(parsed(ref.to_string()), ref) << text;
    }
}

TEST(Reference, SeparatorsInRepository) {
    EXPECT_TRUE(parse_reference("x/a.b_c__d---e"));
    EXPECT_NE(error_of("a..b").find("bad repository path component \"a..b\""), std::string::npos);
    EXPECT_NE(error_of("a___b").find("bad repository path component"), std::string::npos);
    EXPECT_NE(error_of("-a").find("bad repository path component"), std::string::npos);
    EXPECT_NE(error_of("a_").find("bad repository path component"), std::string::npos);
}

TEST(Reference, ErrorsNameTheReference) {
    EXPECT_EQ(error_of(""), "invalid image reference \"\": empty");
    // An uppercase first component is a registry host (as in Docker), so the repository
    // after it is what must be lowercase.
    EXPECT_EQ(error_of("Alpine/App"),
              "invalid image reference \"Alpine/App\": repository name must be lowercase");
    EXPECT_EQ(error_of("docker.io/Library/alpine"),
              "invalid image reference \"docker.io/Library/alpine\": repository name must be "
              "lowercase");
    EXPECT_NE(error_of("alpineX").find("must be lowercase"), std::string::npos);
    EXPECT_NE(error_of(":::invalid").find("\":::invalid\""), std::string::npos);
    EXPECT_NE(error_of("a//b").find("empty path component"), std::string::npos);
    EXPECT_NE(error_of("a/").find("empty path component"), std::string::npos);
    EXPECT_NE(error_of("host:99999999/a").find("bad port"), std::string::npos);
    EXPECT_NE(error_of("-bad.host/a").find("bad registry host"), std::string::npos);
    EXPECT_NE(error_of("alpine:").find("bad tag"), std::string::npos);
    EXPECT_NE(error_of("alpine:-x").find("bad tag"), std::string::npos);
    EXPECT_NE(error_of("alpine:" + std::string(129, 'a')).find("bad tag"), std::string::npos);
    EXPECT_TRUE(parse_reference("alpine:" + std::string(128, 'a')));
    EXPECT_NE(error_of("alpine@sha256:abc").find("sha256:<64 lowercase hex digits>"),
              std::string::npos);
    EXPECT_NE(error_of("alpine@sha256:" + std::string(64, 'A')).find("lowercase hex"),
              std::string::npos);
    EXPECT_NE(error_of("alpine@md5:" + hex64).find("unsupported digest algorithm \"md5\""),
              std::string::npos);
    EXPECT_NE(error_of("a@").find("unsupported digest algorithm"), std::string::npos);
    EXPECT_NE(error_of("@sha256:" + hex64).find("missing repository name"), std::string::npos);
    EXPECT_NE(error_of("example.com/" + std::string(250, 'a')).find("longer than 255"),
              std::string::npos);
}

TEST(Source, BareAndDockerTransportAreRegistry) {
    auto source = parse_source("alpine");
    ASSERT_TRUE(source);
    EXPECT_EQ(source->transport, Transport::registry);
    EXPECT_EQ(source->reference->to_string(), "docker.io/library/alpine:latest");
    auto docker = parse_source("docker://127.0.0.1:5055/test/app:1");
    ASSERT_TRUE(docker);
    EXPECT_EQ(docker->transport, Transport::registry);
    EXPECT_EQ(docker->to_string(), "127.0.0.1:5055/test/app:1");
}

TEST(Source, RegistryNamedLikeATransportKeepsDockerPrefix) {
    // Found by tests/fuzz/reference_fuzz.cpp: a registry host "oci" with a port printed as
    // "oci:5/app:latest", which parses back as an OCI layout directory.
    for (std::string text :
         {"docker://oci:5/app", "docker://oci-archive:5/a", "docker://docker-archive:5/a"}) {
        auto source = parse_source(text);
        ASSERT_TRUE(source) << text;
        EXPECT_EQ(source->to_string(), text + ":latest");
        auto again = parse_source(source->to_string());
        ASSERT_TRUE(again) << text;
        EXPECT_EQ(*again, *source) << text;
    }
}

TEST(Source, OciLayout) {
    auto plain = parse_source("oci:/tmp/layout");
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->transport, Transport::oci_layout);
    EXPECT_EQ(plain->path, "/tmp/layout");
    EXPECT_EQ(plain->image, "");
    EXPECT_FALSE(plain->reference);
    EXPECT_EQ(plain->to_string(), "oci:/tmp/layout");

    auto tagged = parse_source("oci:rel/dir:v1.2");
    ASSERT_TRUE(tagged);
    EXPECT_EQ(tagged->path, "rel/dir");
    EXPECT_EQ(tagged->image, "v1.2");
    EXPECT_EQ(tagged->to_string(), "oci:rel/dir:v1.2");

    // Everything after the path's ':' is the image name, which may itself hold ':'.
    auto named = parse_source("oci:dir:app:1");
    ASSERT_TRUE(named);
    EXPECT_EQ(named->image, "app:1");
}

TEST(Source, OciArchiveAndDockerArchive) {
    auto archive = parse_source("oci-archive:/x/image.tar:latest");
    ASSERT_TRUE(archive);
    EXPECT_EQ(archive->transport, Transport::oci_archive);
    EXPECT_EQ(archive->path, "/x/image.tar");
    EXPECT_EQ(archive->image, "latest");

    auto saved = parse_source("docker-archive:/x/saved.tar");
    ASSERT_TRUE(saved);
    EXPECT_EQ(saved->transport, Transport::docker_archive);
    EXPECT_EQ(saved->path, "/x/saved.tar");
    EXPECT_FALSE(saved->reference);
    EXPECT_EQ(saved->to_string(), "docker-archive:/x/saved.tar");

    auto picked = parse_source("docker-archive:saved.tar:busybox:1");
    ASSERT_TRUE(picked);
    ASSERT_TRUE(picked->reference);
    EXPECT_EQ(picked->reference->to_string(), "docker.io/library/busybox:1");
    EXPECT_EQ(picked->to_string(), "docker-archive:saved.tar:docker.io/library/busybox:1");
}

TEST(Source, Errors) {
    auto error = [](std::string const& text) {
        auto source = parse_source(text);
        EXPECT_FALSE(source) << text;
        return source ? "" : source.error().text();
    };
    EXPECT_EQ(error("oci:"), "invalid image source \"oci:\": oci: needs a directory");
    EXPECT_EQ(error("oci-archive:"),
              "invalid image source \"oci-archive:\": oci-archive: needs a file");
    EXPECT_NE(error("oci:dir:").find("empty image name"), std::string::npos);
    EXPECT_NE(error("oci:dir:a/b").find("bad image name \"a/b\""), std::string::npos);
    EXPECT_NE(error("oci:dir:a..b").find("bad image name"), std::string::npos);
    EXPECT_TRUE(parse_source("oci:dir:a--b"));
    EXPECT_NE(error("docker-archive:f.tar:Bad/Name").find("invalid image source"),
              std::string::npos);
    EXPECT_NE(error("docker-archive:f.tar:a@sha256:" + hex64).find("by tag, not by digest"),
              std::string::npos);
    EXPECT_NE(error("docker://").find("invalid image reference \"\""), std::string::npos);
}

} // namespace
} // namespace microvm::image
