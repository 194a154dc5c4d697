// Pulls from a real registry with basic auth whose credentials come from a docker credential
// helper: docker's config.json names the helper (credHelpers or credsStore), the helper is a
// script on the helper PATH speaking the real protocol (`get`, server URL on stdin, JSON out).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "host/image/registry/credential_helper.hpp"
#include "host/image/store/tag_index.hpp"
#include "pull_fixture.hpp"

namespace microvm::image {
namespace {

class HelperPull : public test::AuthPull {
protected:
    std::filesystem::path bin() const { return m_tmp->path() / "bin"; }

    // Installs docker-credential-<name> answering `username`:`secret` for this registry only
    // (any other server URL is "not found", as a real store would answer), and recording what
    // it was asked in <tmp>/<name>.asked.
    void helper(std::string const& name, std::string const& username, std::string const& secret) {
        std::filesystem::create_directories(bin());
        auto const path = bin() / registry::credential_helper_program(name);
        nlohmann::json answer{{"ServerURL", address()}, {"Username", username}, {"Secret", secret}};
        test::write_file(path, "#!/bin/sh\n"
                               "[ \"$1\" = get ] || exit 2\n"
                               "url=$(cat)\n"
                               "printf '%s' \"$url\" > '" +
                                   (m_tmp->path() / (name + ".asked")).string() +
                                   "'\n"
                                   "if [ \"$url\" != '" +
                                   address() +
                                   "' ]; then\n"
                                   "  echo 'credentials not found in native keychain'; exit 1\n"
                                   "fi\n"
                                   "echo '" +
                                   answer.dump() + "'\n");
        std::filesystem::permissions(path, std::filesystem::perms::owner_all);
    }

    std::string asked(std::string const& name) const {
        return test::read_file(m_tmp->path() / (name + ".asked"));
    }

    // Pull options whose only auth file is a docker config.json holding `config`.
    PullOptions with_docker_config(nlohmann::json const& config) {
        auto const home = m_tmp->path() / "home";
        std::filesystem::create_directories(home / ".docker");
        test::write_file(home / ".docker" / "config.json", config.dump());
        auto o = options();
        o.client.auth_environment.home = home.string();
        o.client.auth_environment.path = bin().string();
        return o;
    }

    nlohmann::json wrong_auths() const {
        return {{address(), {{"auth", registry::base64_encode("alice:wrong")}}}};
    }
};

TEST_F(HelperPull, CredHelpersGiveTheRegistryItsCredentials) {
    push_app();
    helper("test", "alice", "s3cret");
    auto pulled = pull_image(*store, ref("test/app:1"),
                             with_docker_config({{"credHelpers", {{address(), "test"}}}}));
    ASSERT_TRUE(pulled) << pulled.error().text();
    EXPECT_EQ(pulled->downloaded.size(), 4u);
    EXPECT_EQ(asked("test"), address());
    EXPECT_TRUE(find_image(*store, ref("test/app:1").name(), "1")->has_value());
}

TEST_F(HelperPull, CredsStoreIsTheDefaultAndAuthsAreNotReadBesideIt) {
    push_app();
    helper("store", "alice", "s3cret");
    // docker keeps only a placeholder in "auths" when a store holds the secret; the wrong
    // password there must not be used.
    auto pulled =
        pull_image(*store, ref("test/app:1"),
                   with_docker_config({{"credsStore", "store"}, {"auths", wrong_auths()}}));
    ASSERT_TRUE(pulled) << pulled.error().text();
    EXPECT_EQ(asked("store"), address());
}

TEST_F(HelperPull, CredHelpersComeBeforeCredsStore) {
    push_app();
    helper("right", "alice", "s3cret");
    helper("wrong", "alice", "wrong");
    auto pulled = pull_image(*store, ref("test/app:1"),
                             with_docker_config({{"credsStore", "wrong"},
                                                 {"credHelpers", {{address(), "right"}}},
                                                 {"auths", wrong_auths()}}));
    ASSERT_TRUE(pulled) << pulled.error().text();
    EXPECT_EQ(asked("right"), address());
    EXPECT_EQ(asked("wrong"), ""); // never run
}

TEST_F(HelperPull, RejectedHelperCredentialsSayTheyWereRejected) {
    push_app();
    helper("test", "alice", "wrong");
    auto pulled = pull_image(*store, ref("test/app:1"),
                             with_docker_config({{"credHelpers", {{address(), "test"}}}}));
    expect_rejected(pulled);
}

TEST_F(HelperPull, AHelperWithNothingForTheRegistryLeavesThePullAnonymous) {
    push_app();
    helper("test", "alice", "s3cret");
    auto o = with_docker_config({{"credsStore", "test"}});
    // Another registry's name on the same server: the helper has nothing for it.
    auto other =
        parse_reference("localhost:" + address().substr(address().find(':') + 1) + "/test/app:1");
    ASSERT_TRUE(other) << other.error().text();
    auto pulled = pull_image(*store, *other, o);
    ASSERT_FALSE(pulled);
    EXPECT_NE(pulled.error().text().find("401 Unauthorized"), std::string::npos)
        << pulled.error().text();
    EXPECT_NE(pulled.error().text().find("no credentials for localhost:"), std::string::npos)
        << pulled.error().text();
    EXPECT_EQ(asked("test"), other->registry);
}

TEST_F(HelperPull, AHelperThatIsNotInstalledFailsThePullNamingIt) {
    push_app();
    auto o = with_docker_config({{"credsStore", "desktop"}});
    auto pulled = pull_image(*store, ref("test/app:1"), o);
    ASSERT_FALSE(pulled);
    auto const config = (m_tmp->path() / "home" / ".docker" / "config.json").string();
    EXPECT_NE(pulled.error().text().find("read registry credentials: auth file " + config +
                                         ": credsStore helper \"desktop\" for " + address() +
                                         ": docker-credential-desktop not found in PATH (" +
                                         bin().string() + ")"),
              std::string::npos)
        << pulled.error().text();
    EXPECT_TRUE(list_images(*store)->empty());
}

} // namespace
} // namespace microvm::image
