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

// The credentials `text` holds for repository on registry, or nullopt (failing the test on an
// error or a helper reference).
std::optional<Credentials> credentials_in(std::string const& text, std::string const& registry,
                                          std::string const& repository) {
    auto entry = auth_entry_from_json(text, registry, repository);
    EXPECT_TRUE(entry) << entry.error().text();
    if (!entry) {
        return std::nullopt;
    }
    EXPECT_FALSE(std::holds_alternative<HelperReference>(*entry));
    if (auto const* credentials = std::get_if<Credentials>(&*entry)) {
        return *credentials;
    }
    return std::nullopt;
}

TEST(RegistryAuthJson, FindsTheRegistryEntry) {
    EXPECT_EQ(credentials_in(auth_json("quay.io", "u:p:w"), "quay.io", "org/app"),
              (Credentials{"u", "p:w"}));
    EXPECT_EQ(credentials_in(auth_json("quay.io", "u:p"), "ghcr.io", "org/app"), std::nullopt);
}

TEST(RegistryAuthJson, DockerHubAliasesAndLegacyUrl) {
    auto found = credentials_in(auth_json("https://index.docker.io/v1/", "d:h"), "docker.io",
                                "library/alpine");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->username, "d");
}

TEST(RegistryAuthJson, MostSpecificNamespaceWins) {
    std::string text = R"({"auths": {
        "reg.example:5000": {"auth": ")" +
                       base64_encode("host:1") + R"("},
        "reg.example:5000/team": {"auth": ")" +
                       base64_encode("team:2") + R"("},
        "reg.example:5000/team/app": {"auth": ")" +
                       base64_encode("app:3") + R"("}}})";
    EXPECT_EQ(credentials_in(text, "reg.example:5000", "team/app")->username, "app");
    EXPECT_EQ(credentials_in(text, "reg.example:5000", "team/other")->username, "team");
    EXPECT_EQ(credentials_in(text, "reg.example:5000", "solo")->username, "host");
}

TEST(RegistryAuthJson, BrokenEntriesAreErrors) {
    EXPECT_FALSE(auth_entry_from_json("{not json", "r", "x"));
    EXPECT_FALSE(auth_entry_from_json(R"({"auths": {"r": {"auth": "!!!!"}}})", "r", "x"));
    EXPECT_FALSE(auth_entry_from_json(
        R"({"auths": {"r": {"auth": ")" + base64_encode("nocolon") + R"("}}})", "r", "x"));
    EXPECT_EQ(auth_entry_from_json(R"({"credsStore": 7})", "r", "x").error().text(),
              "credsStore is not a credential helper name");
    EXPECT_EQ(auth_entry_from_json(R"({"credHelpers": {"r": ""}})", "r", "x").error().text(),
              "credHelpers[\"r\"] is not a credential helper name");
}

// Docker's order: credHelpers for the registry, else credsStore, else "auths".
TEST(RegistryAuthJson, HelpersComeFirstAsInDocker) {
    std::string const auths =
        R"("auths": {"r.io": {"auth": ")" + base64_encode("file:1") + R"("}})";
    auto entry = [&](std::string const& settings, std::string const& registry = "r.io") {
        auto parsed = auth_entry_from_json("{" + settings + auths + "}", registry, "x");
        EXPECT_TRUE(parsed) << parsed.error().text();
        return parsed.value_or(AuthEntry{});
    };
    EXPECT_EQ(entry(R"("credHelpers": {"r.io": "one"}, "credsStore": "all", )"),
              AuthEntry(HelperReference{"one", "credHelpers"}));
    EXPECT_EQ(entry(R"("credHelpers": {"other.io": "one"}, "credsStore": "all", )"),
              AuthEntry(HelperReference{"all", "credsStore"}));
    EXPECT_EQ(entry(R"("credsStore": "", )"), AuthEntry(Credentials{"file", "1"}));
    EXPECT_EQ(entry(""), AuthEntry(Credentials{"file", "1"}));
    // credHelpers keys are registries; Docker Hub's aliases name one registry.
    EXPECT_EQ(entry(R"("credHelpers": {"index.docker.io": "hub"}, )", "docker.io"),
              AuthEntry(HelperReference{"hub", "credHelpers"}));
    EXPECT_EQ(auth_entry_from_json(R"({"credsStore": "desktop"})", "q.io", "x").value(),
              AuthEntry(HelperReference{"desktop", "credsStore"}));
    EXPECT_EQ(auth_entry_from_json("{}", "q.io", "x").value(), AuthEntry(std::monostate{}));
}

TEST(RegistryAuthJson, HelperServerUrlsAreDockers) {
    EXPECT_EQ(credential_helper_server_url("docker.io"), "https://index.docker.io/v1/");
    EXPECT_EQ(credential_helper_server_url("registry-1.docker.io"), "https://index.docker.io/v1/");
    EXPECT_EQ(credential_helper_server_url("127.0.0.1:5000"), "127.0.0.1:5000");
}

TEST(RegistryAuthFiles, CandidatesAndPrecedence) {
    AuthFileEnvironment env{"/a.json", "/run/user/1", "/home/u", std::nullopt};
    auto files = auth_file_candidates(env);
    ASSERT_EQ(files.size(), 3u);
    EXPECT_EQ(files[0], "/a.json");
    EXPECT_EQ(files[1], "/run/user/1/containers/auth.json");
    EXPECT_EQ(files[2], "/home/u/.docker/config.json");
    EXPECT_TRUE(auth_file_candidates({"", std::nullopt, "", std::nullopt}).empty());
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
                            home.string(), std::nullopt};
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
