#include <gtest/gtest.h>

#include "host/image/registry/auth_challenge.hpp"

namespace microvm::image::registry {
namespace {

TEST(RegistryAuthChallenge, DockerHubBearer) {
    auto c = parse_auth_challenge(
        R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull")");
    ASSERT_TRUE(c) << c.error().text();
    EXPECT_EQ(c->scheme, AuthChallenge::Scheme::bearer);
    EXPECT_EQ(c->param("realm"), "https://auth.docker.io/token");
    EXPECT_EQ(c->param("service"), "registry.docker.io");
    EXPECT_EQ(c->param("scope"), "repository:library/alpine:pull");
    EXPECT_EQ(c->param("error"), std::nullopt);
}

TEST(RegistryAuthChallenge, CaseSpacesBareValuesAndEscapes) {
    auto c =
        parse_auth_challenge(R"(  bearer Realm = "https://a/t?x=1" , service=reg ,, x="a\"b")");
    ASSERT_TRUE(c) << c.error().text();
    EXPECT_EQ(c->param("realm"), "https://a/t?x=1");
    EXPECT_EQ(c->param("service"), "reg");
    EXPECT_EQ(c->param("x"), "a\"b");
}

TEST(RegistryAuthChallenge, Basic) {
    auto c = parse_auth_challenge(R"(Basic realm="microvm-test")");
    ASSERT_TRUE(c) << c.error().text();
    EXPECT_EQ(c->scheme, AuthChallenge::Scheme::basic);
    EXPECT_EQ(c->param("realm"), "microvm-test");
    EXPECT_TRUE(parse_auth_challenge("Basic"));
}

TEST(RegistryAuthChallenge, Malformed) {
    EXPECT_EQ(parse_auth_challenge("Negotiate abc").error().text(),
              "unsupported authentication scheme in WWW-Authenticate \"Negotiate abc\"");
    EXPECT_EQ(parse_auth_challenge(R"(Bearer service="x")").error().text(),
              "malformed WWW-Authenticate \"Bearer service=\"x\"\": Bearer challenge has no "
              "realm");
    EXPECT_FALSE(parse_auth_challenge(R"(Bearer realm="unterminated)"));
    EXPECT_FALSE(parse_auth_challenge(R"(Bearer realm)"));
}

TEST(RegistryTokenResponse, TokenOrAccessToken) {
    EXPECT_EQ(token_from_response(R"({"token":"t1","access_token":"a1"})"), "t1");
    EXPECT_EQ(token_from_response(R"({"token":"","access_token":"a1"})"), "a1");
    EXPECT_EQ(token_from_response(R"({"access_token":"a1","expires_in":300})"), "a1");
    EXPECT_EQ(token_from_response(R"({"expires_in":300})"), "");
    EXPECT_EQ(token_from_response("<html>"), "");
    EXPECT_EQ(token_from_response(R"(["token"])"), "");
}

TEST(RegistryTokenResponse, TokenThatIsNotAStringCountsAsNone) {
    // Found by fuzzing the registry's responses: json::value("token", "") threw on these.
    EXPECT_EQ(token_from_response(R"({"token":7})"), "");
    EXPECT_EQ(token_from_response(R"({"token":null,"access_token":"a1"})"), "a1");
    EXPECT_EQ(token_from_response(R"({"access_token":{"x":1}})"), "");
}

} // namespace
} // namespace microvm::image::registry
