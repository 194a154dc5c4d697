// The fixtures of the pull tests: a real registry (docker-registry on 127.0.0.1), an OCI
// layout to build images in, and a content store, all private to each test.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "base/temp_dir.hpp"
#include "host/image/reference.hpp"
#include "host/image/registry/auth_file.hpp"
#include "host/image/registry/pull.hpp"
#include "image_builder.hpp"
#include "local_registry.hpp"
#include "support/test_support.hpp"

namespace microvm::test {

using image::ContentStore;
using image::PullOptions;
using image::Reference;

// Each test gets its own registry, layout and store.
class Pull : public ::testing::Test {
protected:
    void SetUp() override {
        auto registry = test::LocalRegistry::start({.user = user()});
        ASSERT_TRUE(registry) << registry.error().text();
        m_registry.emplace(std::move(*registry));
        auto tmp = base::TempDir::create("microvm-pull-test-");
        ASSERT_TRUE(tmp) << tmp.error().text();
        m_tmp.emplace(std::move(*tmp));
        layout.emplace(m_tmp->path() / "layout");
        auto store_or = ContentStore::open(m_tmp->path() / "data" / "images");
        ASSERT_TRUE(store_or) << store_or.error().text();
        store.emplace(std::move(*store_or));
    }

    virtual std::optional<test::RegistryUser> user() const { return std::nullopt; }

    std::string address() const { return m_registry->address(); }

    Reference ref(std::string const& text) const {
        auto parsed = image::parse_reference(address() + "/" + text);
        EXPECT_TRUE(parsed) << parsed.error().text();
        return *parsed;
    }

    // No auth files from the machine running the tests, no progress output.
    PullOptions options() const {
        PullOptions o;
        o.client.auth_environment = {};
        o.progress = image::registry::PullProgress::Output::never;
        return o;
    }

    void build_three_layers(std::string const& name = "app") {
        layout->build(name, {test::LayerFiles{{"bin/first", "1"}},
                             test::LayerFiles{{"etc/second", "2"}, {"etc/more", "more"}},
                             test::LayerFiles{{"usr/third", std::string(100000, 'x')}}});
    }

    std::optional<test::LocalRegistry> m_registry;
    std::optional<base::TempDir> m_tmp;
    std::optional<test::OciLayout> layout;
    std::optional<ContentStore> store;
};

class AuthPull : public Pull {
protected:
    std::optional<test::RegistryUser> user() const override {
        return test::RegistryUser{"alice", "s3cret"};
    }
    void push_app() {
        build_three_layers();
        layout->push("app", address() + "/test/app:1", {"--dest-creds", "alice:s3cret"});
    }
    // A pull refused with 401 whose message says this registry rejected the credentials.
    template <typename T>
    void expect_rejected(Result<T> const& pulled) {
        ASSERT_FALSE(pulled);
        EXPECT_NE(pulled.error().text().find("401 Unauthorized"), std::string::npos)
            << pulled.error().text();
        EXPECT_NE(pulled.error().text().find("the credentials for " + address() + " were rejected"),
                  std::string::npos)
            << pulled.error().text();
    }
    PullOptions with_auth_file(std::string const& user_password) {
        auto path = m_tmp->path() / "auth.json";
        nlohmann::json auth{
            {"auths", {{address(), {{"auth", image::registry::base64_encode(user_password)}}}}}};
        test::write_file(path, auth.dump());
        auto o = options();
        o.client.auth_environment.registry_auth_file = path.string();
        return o;
    }
};

} // namespace microvm::test
