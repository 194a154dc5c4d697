#include <gtest/gtest.h>

#include "host/image/registry/endpoint.hpp"
#include "host/image/registry/http.hpp"
#include "host/image/registry/response_error.hpp"

namespace microvm::image::registry {
namespace {

TEST(RegistryEndpoint, DockerHubApiHost) {
    EXPECT_EQ(api_host("docker.io"), "registry-1.docker.io");
    EXPECT_EQ(api_host("quay.io"), "quay.io");
    EXPECT_EQ(api_host("127.0.0.1:5000"), "127.0.0.1:5000");
}

TEST(RegistryEndpoint, PlainHttpOnlyForLoopbackOrNamedRegistries) {
    for (auto r :
         {"localhost", "localhost:5000", "127.0.0.1:5055", "127.8.9.10", "[::1]:5000", "[::1]"}) {
        EXPECT_TRUE(is_loopback_registry(r)) << r;
        EXPECT_TRUE(allows_plain_http(r, {})) << r;
    }
    for (auto r : {"docker.io", "10.0.0.1:5000", "128.0.0.1", "localhost.example.com", "[::2]:5000",
                   "127.0.0.1.nip.io"}) {
        EXPECT_FALSE(is_loopback_registry(r)) << r;
    }
    EXPECT_TRUE(allows_plain_http("10.0.0.1:5000", {"10.0.0.1:5000"}));
    EXPECT_FALSE(allows_plain_http("10.0.0.1:5000", {"10.0.0.1"}));
}

TEST(RegistryResponseError, DistributionErrorBody) {
    HttpResponse r{
        404,
        {},
        R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"x"}}]})"};
    EXPECT_EQ(describe_response(r), "404 Not Found: manifest unknown (MANIFEST_UNKNOWN)");
    EXPECT_TRUE(has_error_code(r, "MANIFEST_UNKNOWN"));
    EXPECT_FALSE(has_error_code(r, "NAME_UNKNOWN"));
    HttpResponse two{
        401, {}, R"({"errors":[{"code":"UNAUTHORIZED","message":"a"},{"code":"DENIED"}]})"};
    EXPECT_EQ(describe_response(two), "401 Unauthorized: a (UNAUTHORIZED); DENIED");
}

TEST(RegistryResponseError, PlainBodies) {
    EXPECT_EQ(describe_response({503, {}, "upstream down\n"}),
              "503 Service Unavailable: upstream down");
    EXPECT_EQ(describe_response({502, {}, "<html>gateway</html>"}), "502 Bad Gateway");
    EXPECT_EQ(describe_response({418, {}, ""}), "418");
}

TEST(RegistryHttp, TransientErrorsAreClassified) {
    EXPECT_TRUE(is_transient(Error::from_errno("GET x: Timeout was reached", ETIMEDOUT)));
    EXPECT_TRUE(is_transient(Error::from_errno("GET x", ECONNRESET)));
    EXPECT_FALSE(is_transient(Error::message("GET x: SSL peer certificate was not OK")));
}

TEST(RegistryHttp, ConnectionRefusedIsATransportError) {
    auto http = HttpClient::create();
    ASSERT_TRUE(http);
    // Port 1 on loopback: nothing listens there in a test environment.
    auto r = http->perform({.url = "http://127.0.0.1:1/v2/", .scheme = Scheme::http_allowed});
    ASSERT_FALSE(r);
    EXPECT_TRUE(is_transient(r.error())) << r.error().text();
    EXPECT_TRUE(r.error().text().starts_with("GET http://127.0.0.1:1/v2/: ")) << r.error().text();
}

TEST(RegistryHttp, PlainHttpIsRefusedUnlessAllowed) {
    auto http = HttpClient::create();
    ASSERT_TRUE(http);
    auto r = http->perform({.url = "http://127.0.0.1:1/v2/"});
    ASSERT_FALSE(r);
    EXPECT_FALSE(is_transient(r.error())) << r.error().text();
}

} // namespace
} // namespace microvm::image::registry
