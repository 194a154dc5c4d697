// The registry client against servers that misbehave on purpose (a fake HTTP server) and
// against a registry that requires bearer tokens (docker-registry with token auth).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/temp_dir.hpp"
#include "fake_http_server.hpp"
#include "host/image/reference.hpp"
#include "host/image/registry/client.hpp"
#include "host/image/registry/media_types.hpp"
#include "host/image/registry/pull.hpp"
#include "image_builder.hpp"
#include "local_registry.hpp"
#include "token_issuer.hpp"

namespace microvm::image::registry {
namespace {

std::string const manifest_body =
    R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
    R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:)" +
    std::string(64, 'a') + R"(","size":2},"layers":[]})";

ClientOptions quick_options() {
    ClientOptions o;
    o.auth_environment = {};
    o.first_backoff = std::chrono::milliseconds(1);
    return o;
}

std::size_t count_path(std::vector<test::FakeRequest> const& requests, std::string const& path) {
    std::size_t n = 0;
    for (auto const& r : requests) {
        n += r.target == path ? 1 : 0;
    }
    return n;
}

TEST(RegistryClient, RetriesServerErrorsThenSucceeds) {
    int failures_left = 2;
    test::FakeHttpServer server([&](test::FakeRequest const& r) -> test::FakeResponse {
        if (r.target != "/v2/test/app/manifests/1") {
            return {404};
        }
        if (failures_left-- > 0) {
            return {503, {}, "try later"};
        }
        EXPECT_NE(r.headers.at("accept").find(media_type::oci_index), std::string::npos);
        return {200, {{"Content-Type", std::string(media_type::oci_manifest)}}, manifest_body};
    });
    auto client = RegistryClient::connect(server.address(), "test/app", quick_options());
    ASSERT_TRUE(client) << client.error().text();
    auto manifest = (*client)->fetch_manifest("1");
    ASSERT_TRUE(manifest) << manifest.error().text();
    EXPECT_EQ(manifest->digest, Digest::of(manifest_body));
    EXPECT_EQ(count_path(server.requests(), "/v2/test/app/manifests/1"), 3u);
}

TEST(RegistryClient, RetriesAreBounded) {
    test::FakeHttpServer server([](test::FakeRequest const&) -> test::FakeResponse {
        return {503, {}, "upstream down"};
    });
    auto client = RegistryClient::connect(server.address(), "test/app", quick_options());
    ASSERT_TRUE(client) << client.error().text();
    auto manifest = (*client)->fetch_manifest("1");
    ASSERT_FALSE(manifest);
    EXPECT_EQ(manifest.error().text(), "503 Service Unavailable: upstream down");
    EXPECT_EQ(count_path(server.requests(), "/v2/test/app/manifests/1"), 4u);
}

TEST(RegistryClient, BlobDroppedMidwayIsFetchedAgainFromTheStart) {
    std::string const blob(50000, 'z');
    auto const digest = Digest::of(blob);
    int drops_left = 1;
    test::FakeHttpServer server([&](test::FakeRequest const& r) -> test::FakeResponse {
        if (r.target != "/v2/test/app/blobs/" + digest.text()) {
            return {404};
        }
        test::FakeResponse response{200, {}, blob};
        if (drops_left-- > 0) {
            response.cut_after = blob.size() / 2;
        }
        return response;
    });
    auto tmp = base::TempDir::create("microvm-blob-retry-");
    ASSERT_TRUE(tmp);
    auto store = ContentStore::open(tmp->path() / "images");
    ASSERT_TRUE(store);
    auto client = RegistryClient::connect(server.address(), "test/app", quick_options());
    ASSERT_TRUE(client) << client.error().text();
    auto writer = store->begin_blob(digest, blob.size());
    ASSERT_TRUE(writer);
    auto fetched =
        (*client)->fetch_blob({"application/octet-stream", digest, blob.size()}, *writer);
    ASSERT_TRUE(fetched) << fetched.error().text();
    EXPECT_EQ(store->read_blob(digest, blob.size()).value(), blob);
    EXPECT_EQ(count_path(server.requests(), "/v2/test/app/blobs/" + digest.text()), 2u);
}

TEST(RegistryClient, UnknownRepository) {
    test::FakeHttpServer server([](test::FakeRequest const&) -> test::FakeResponse {
        return {
            404,
            {},
            R"({"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]})"};
    });
    auto client = RegistryClient::connect(server.address(), "test/app", quick_options());
    ASSERT_TRUE(client);
    EXPECT_EQ((*client)->fetch_manifest("1").error().text(),
              "unknown repository test/app on " + server.address() +
                  " (404 Not Found: repository name not known to registry (NAME_UNKNOWN))");
}

TEST(RegistryClient, ManifestByDigestMustMatch) {
    test::FakeHttpServer server([](test::FakeRequest const&) -> test::FakeResponse {
        return {200, {{"Content-Type", std::string(media_type::oci_manifest)}}, manifest_body};
    });
    auto client = RegistryClient::connect(server.address(), "test/app", quick_options());
    ASSERT_TRUE(client);
    auto const wanted = Digest::of("something else").text();
    EXPECT_EQ((*client)->fetch_manifest(wanted).error().text(),
              "digest mismatch: expected " + wanted + ", got " + Digest::of(manifest_body).text());
}

TEST(RegistryClient, UnsupportedManifestMediaType) {
    test::FakeHttpServer server([](test::FakeRequest const&) -> test::FakeResponse {
        return {200,
                {{"Content-Type", "application/vnd.docker.distribution.manifest.v1+prettyjws"}},
                R"({"schemaVersion":1})"};
    });
    auto client = RegistryClient::connect(server.address(), "test/app", quick_options());
    ASSERT_TRUE(client);
    EXPECT_EQ((*client)->fetch_manifest("1").error().text(),
              "unsupported media type application/vnd.docker.distribution.manifest.v1+prettyjws "
              "(Docker schema 1 manifests are deprecated and not supported)");
}

TEST(RegistryClient, AnonymousBearerTokenFlow) {
    auto tmp = base::TempDir::create("microvm-token-test-");
    ASSERT_TRUE(tmp);
    test::TokenIssuer issuer(tmp->path());
    auto registry = test::LocalRegistry::start({.token = issuer.authority()});
    ASSERT_TRUE(registry) << registry.error().text();
    test::OciLayout layout(tmp->path() / "layout");
    layout.build("app", {test::LayerFiles{{"a", "1"}}, test::LayerFiles{{"b", "2"}}});
    layout.push("app", registry->address() + "/test/app:1");
    auto const before = issuer.requests().size();

    auto store = ContentStore::open(tmp->path() / "images");
    ASSERT_TRUE(store);
    PullOptions options;
    options.client = quick_options();
    options.progress = PullProgress::Output::never;
    auto ref = parse_reference(registry->address() + "/test/app:1");
    ASSERT_TRUE(ref);
    auto pulled = pull_image(*store, *ref, options);
    ASSERT_TRUE(pulled) << pulled.error().text();
    EXPECT_EQ(pulled->downloaded.size(), 3u);

    // One token for the whole pull, asked for with the challenge's service and scope.
    auto requests = issuer.requests();
    ASSERT_EQ(requests.size(), before + 1);
    auto const& token_request = requests.back();
    EXPECT_NE(token_request.target.find("service=microvm-test-registry"), std::string::npos)
        << token_request.target;
    EXPECT_NE(token_request.target.find("scope=repository%3Atest%2Fapp%3Apull"), std::string::npos)
        << token_request.target;
    EXPECT_FALSE(token_request.headers.contains("authorization")); // anonymous
}

} // namespace
} // namespace microvm::image::registry
