// Docker credential helpers, run for real: each test writes a docker-credential-<name> shell
// script into a directory it puts on the helper PATH.
#include <gtest/gtest.h>

#include "base/temp_dir.hpp"
#include "host/image/registry/auth_file.hpp"
#include "host/image/registry/credential_helper.hpp"
#include "support/test_support.hpp"

namespace microvm::image::registry {
namespace {

using namespace std::chrono_literals;

class CredentialHelper : public ::testing::Test {
protected:
    void SetUp() override {
        auto tmp = base::TempDir::create("microvm-credential-helper-test-");
        ASSERT_TRUE(tmp) << tmp.error().text();
        m_tmp.emplace(std::move(*tmp));
        std::filesystem::create_directories(bin());
    }

    std::filesystem::path dir() const { return m_tmp->path(); }
    std::filesystem::path bin() const { return dir() / "bin"; }
    // A PATH with a relative entry and a missing directory before the helpers' directory.
    std::string path_env() const {
        return "bin:" + (dir() / "none").string() + ":" + bin().string();
    }

    // Installs docker-credential-<name> running `body` (sh); it records its arguments and
    // standard input in <dir>/<name>.args and <dir>/<name>.stdin.
    void helper(std::string const& name, std::string const& body) {
        auto const path = bin() / credential_helper_program(name);
        auto const record = (dir() / name).string();
        test::write_file(path, "#!/bin/sh\necho \"$@\" > '" + record + ".args'\ncat > '" + record +
                                   ".stdin'\n" + body + "\n");
        std::filesystem::permissions(path, std::filesystem::perms::owner_all);
    }

    Result<std::optional<Credentials>> get(std::string const& name,
                                           std::chrono::milliseconds timeout = 20s) {
        return get_from_credential_helper(name, "127.0.0.1:5000", path_env(), timeout);
    }

    std::optional<base::TempDir> m_tmp;
};

TEST_F(CredentialHelper, AnswersWithUsernameAndSecret) {
    helper("test", R"(echo '{"ServerURL":"127.0.0.1:5000","Username":"alice","Secret":"s3cret"}')");
    auto found = get("test");
    ASSERT_TRUE(found) << found.error().text();
    EXPECT_EQ(*found, (Credentials{"alice", "s3cret"}));
    // The protocol: the action as the only argument, the server URL alone on standard input.
    EXPECT_EQ(test::read_file(dir() / "test.args"), "get\n");
    EXPECT_EQ(test::read_file(dir() / "test.stdin"), "127.0.0.1:5000");
}

TEST_F(CredentialHelper, NotFoundIsNoCredentials) {
    helper("test", "echo 'credentials not found in native keychain'; exit 1");
    auto found = get("test");
    ASSERT_TRUE(found) << found.error().text();
    EXPECT_FALSE(*found);
    helper("empty", R"(echo '{"ServerURL":"","Username":"","Secret":""}')");
    EXPECT_FALSE(get("empty").value());
}

TEST_F(CredentialHelper, FailuresNameTheProgramAndQuoteIt) {
    helper("locked", "echo 'keychain is locked' >&2; exit 3");
    EXPECT_EQ(get("locked").error().text(),
              "docker-credential-locked get: exit status 3: keychain is locked");
    helper("silent", "exit 1");
    EXPECT_EQ(get("silent").error().text(), "docker-credential-silent get: exit status 1");
    helper("garbage", "echo hello");
    EXPECT_EQ(get("garbage").error().text(),
              "docker-credential-garbage get: the answer is not a JSON object with string fields "
              "Username and Secret");
    helper("token", R"(echo '{"ServerURL":"x","Username":"<token>","Secret":"refresh"}')");
    EXPECT_EQ(get("token").error().text(),
              "docker-credential-token get: the answer is an identity token, which microvm does "
              "not support yet");
}

TEST_F(CredentialHelper, MissingHelperIsAnErrorNamingIt) {
    EXPECT_EQ(get("nope").error().text(),
              "docker-credential-nope not found in PATH (" + path_env() + ")");
    EXPECT_EQ(get_from_credential_helper("nope", "r", std::nullopt).error().text(),
              "docker-credential-nope not found: PATH is not set");
    EXPECT_EQ(get("../bin/x").error().text(), "\"../bin/x\" is not a credential helper name");
}

TEST_F(CredentialHelper, AHelperFoundOnlyThroughARelativeEntryIsNotRun) {
    helper("test", R"(echo '{"Username":"a","Secret":"b"}')");
    // "bin" is relative; the working directory must never supply a helper.
    std::error_code ec;
    auto const cwd = std::filesystem::current_path();
    std::filesystem::current_path(dir());
    auto found = get_from_credential_helper("test", "r", "bin");
    std::filesystem::current_path(cwd, ec);
    ASSERT_FALSE(found);
    EXPECT_EQ(found.error().text(), "docker-credential-test not found in PATH (bin)");
}

TEST_F(CredentialHelper, AHelperThatHangsIsKilled) {
    helper("hang", "exec sleep 30");
    auto found = get("hang", 300ms);
    ASSERT_FALSE(found);
    EXPECT_EQ(found.error().text(), "docker-credential-hang get: no answer after 1 s; killed");
}

TEST_F(CredentialHelper, AuthFilesAskTheirHelpers) {
    helper("store", R"(echo '{"Username":"from-store","Secret":"1"}')");
    helper("one", R"(echo '{"Username":"from-one","Secret":"2"}')");
    helper("none", "echo 'credentials not found in native keychain'; exit 1");
    auto const config = dir() / "config.json";
    AuthFileEnvironment env{.registry_auth_file = config.string(), .path = path_env()};

    test::write_file(config, R"({"credsStore": "store", "credHelpers": {"one.io": "one"}})");
    EXPECT_EQ(find_credentials("one.io", "x", env)->value().username, "from-one");
    EXPECT_EQ(find_credentials("other.io", "x", env)->value().username, "from-store");
    EXPECT_EQ(test::read_file(dir() / "store.stdin"), "other.io");
    EXPECT_EQ(find_credentials("docker.io", "library/alpine", env)->value().username, "from-store");
    EXPECT_EQ(test::read_file(dir() / "store.stdin"), "https://index.docker.io/v1/");

    // A helper with nothing for the registry passes to the next file, here: none, anonymous.
    test::write_file(config, R"({"credsStore": "none"})");
    EXPECT_FALSE(find_credentials("r.io", "x", env)->has_value());

    test::write_file(config, R"({"credsStore": "desktop"})");
    auto missing = find_credentials("r.io", "x", env);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().text(),
              "auth file " + config.string() +
                  ": credsStore helper \"desktop\" for r.io: docker-credential-desktop not found "
                  "in PATH (" +
                  path_env() + ")");
}

} // namespace
} // namespace microvm::image::registry
