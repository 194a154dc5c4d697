#include <gtest/gtest.h>

#include "base/temp_dir.hpp"
#include "host/image/registry/auth_file.hpp"
#include "support/test_support.hpp"

namespace microvm::image::registry {
namespace {

std::string auth_json(std::string const& key, std::string const& user_password) {
    return R"({"auths": {")" + key + R"(": {"auth": ")" + base64_encode(user_password) + R"("}}})";
}

TEST(RegistryBase64, RoundTripsWithPadding) {
    for (std::string s : {"", "a", "ab", "abc", "abcd", "user:pa:ss"}) {
        auto decoded = base64_decode(base64_encode(s));
        ASSERT_TRUE(decoded) << s;
        EXPECT_EQ(*decoded, s);
    }
    EXPECT_EQ(base64_encode("alice:s3cret"), "YWxpY2U6czNjcmV0");
    EXPECT_FALSE(base64_decode("abc"));
    EXPECT_FALSE(base64_decode("a*c="));
}

TEST(RegistryAuthJson, FindsTheRegistryEntry) {
    auto found = credentials_from_auth_json(auth_json("quay.io", "u:p:w"), "quay.io", "org/app");
    ASSERT_TRUE(found) << found.error().text();
    ASSERT_TRUE(*found);
    EXPECT_EQ(**found, (Credentials{"u", "p:w"}));
    auto other = credentials_from_auth_json(auth_json("quay.io", "u:p"), "ghcr.io", "org/app");
    ASSERT_TRUE(other);
    EXPECT_FALSE(*other);
}

TEST(RegistryAuthJson, DockerHubAliasesAndLegacyUrl) {
    auto found = credentials_from_auth_json(auth_json("https://index.docker.io/v1/", "d:h"),
                                            "docker.io", "library/alpine");
    ASSERT_TRUE(found && *found);
    EXPECT_EQ((*found)->username, "d");
}

TEST(RegistryAuthJson, MostSpecificNamespaceWins) {
    std::string text = R"({"auths": {
        "reg.example:5000": {"auth": ")" +
                       base64_encode("host:1") + R"("},
        "reg.example:5000/team": {"auth": ")" +
                       base64_encode("team:2") + R"("},
        "reg.example:5000/team/app": {"auth": ")" +
                       base64_encode("app:3") + R"("}}})";
    EXPECT_EQ(credentials_from_auth_json(text, "reg.example:5000", "team/app")->value().username,
              "app");
    EXPECT_EQ(credentials_from_auth_json(text, "reg.example:5000", "team/other")->value().username,
              "team");
    EXPECT_EQ(credentials_from_auth_json(text, "reg.example:5000", "solo")->value().username,
              "host");
}

TEST(RegistryAuthJson, BrokenEntriesAreErrors) {
    EXPECT_FALSE(credentials_from_auth_json("{not json", "r", "x"));
    EXPECT_FALSE(credentials_from_auth_json(R"({"auths": {"r": {"auth": "!!!!"}}})", "r", "x"));
    EXPECT_FALSE(credentials_from_auth_json(
        R"({"auths": {"r": {"auth": ")" + base64_encode("nocolon") + R"("}}})", "r", "x"));
    auto none = credentials_from_auth_json(R"({"credsStore": "desktop"})", "r", "x");
    ASSERT_TRUE(none);
    EXPECT_FALSE(*none);
}

TEST(RegistryAuthFiles, CandidatesAndPrecedence) {
    AuthFileEnvironment env{"/a.json", "/run/user/1", "/home/u"};
    auto files = auth_file_candidates(env);
    ASSERT_EQ(files.size(), 3u);
    EXPECT_EQ(files[0], "/a.json");
    EXPECT_EQ(files[1], "/run/user/1/containers/auth.json");
    EXPECT_EQ(files[2], "/home/u/.docker/config.json");
    EXPECT_TRUE(auth_file_candidates({"", std::nullopt, ""}).empty());
}

TEST(RegistryAuthFiles, FirstFileWithAnEntryWinsAndMissingFilesAreSkipped) {
    auto tmp = base::TempDir::create("microvm-auth-test-");
    ASSERT_TRUE(tmp);
    auto home = tmp->path() / "home";
    std::filesystem::create_directories(home / ".docker");
    std::filesystem::create_directories(tmp->path() / "run" / "containers");
    test::write_file(home / ".docker" / "config.json", auth_json("r.io", "docker:1"));
    test::write_file(tmp->path() / "run" / "containers" / "auth.json", auth_json("q.io", "p:2"));
    AuthFileEnvironment env{(tmp->path() / "missing.json").string(), (tmp->path() / "run").string(),
                            home.string()};
    EXPECT_EQ(find_credentials("r.io", "x", env)->value().username, "docker");
    EXPECT_EQ(find_credentials("q.io", "x", env)->value().username, "p");
    EXPECT_FALSE(find_credentials("z.io", "x", env)->has_value());

    test::write_file(tmp->path() / "broken.json", "{");
    env.registry_auth_file = (tmp->path() / "broken.json").string();
    auto broken = find_credentials("r.io", "x", env);
    ASSERT_FALSE(broken);
    EXPECT_NE(broken.error().text().find("broken.json"), std::string::npos);
}

} // namespace
} // namespace microvm::image::registry
