#include <gtest/gtest.h>

#include <filesystem>
#include <optional>

#include "base/safe_file.hpp"
#include "base/temp_dir.hpp"
#include "host/image/image_config.hpp"
#include "support/test_support.hpp"

namespace microvm::image {
namespace {

namespace fs = std::filesystem;

TEST(ImageConfig, ParsesTheRuntimeFields) {
    auto config = parse_image_config(R"({
        "architecture": "amd64", "os": "linux",
        "config": {
            "Entrypoint": ["/docker-entrypoint.sh"], "Cmd": ["nginx", "-g", "daemon off;"],
            "Env": ["PATH=/usr/bin", "NGINX_VERSION=1.27"], "WorkingDir": "/srv",
            "User": "101:101", "ExposedPorts": {"80/tcp": {}}, "Labels": null
        },
        "rootfs": {"type": "layers", "diff_ids": []}
    })");
    ASSERT_TRUE(config) << config.error().text();
    EXPECT_EQ(config->entrypoint, (std::vector<std::string>{"/docker-entrypoint.sh"}));
    EXPECT_EQ(config->cmd, (std::vector<std::string>{"nginx", "-g", "daemon off;"}));
    EXPECT_EQ(config->env, (std::vector<std::string>{"PATH=/usr/bin", "NGINX_VERSION=1.27"}));
    EXPECT_EQ(config->working_dir, "/srv");
    EXPECT_EQ(config->user, "101:101");
}

TEST(ImageConfig, MissingAndNullFieldsAreEmpty) {
    auto none = parse_image_config(R"({"architecture": "amd64"})");
    ASSERT_TRUE(none);
    EXPECT_EQ(*none, ImageConfig{});
    auto nulls =
        parse_image_config(R"({"config": {"Entrypoint": null, "Cmd": null, "Env": null}})");
    ASSERT_TRUE(nulls);
    EXPECT_EQ(*nulls, ImageConfig{});
}

TEST(ImageConfig, ErrorsNameTheField) {
    auto error = [](std::string const& json) {
        auto config = parse_image_config(json);
        EXPECT_FALSE(config) << json;
        return config ? "" : config.error().text();
    };
    EXPECT_EQ(error("{"), "image config: not valid JSON");
    EXPECT_EQ(error("[]"), "image config: expected a JSON object");
    EXPECT_EQ(error(R"({"config": []})"), "image config: config: expected an object");
    EXPECT_EQ(error(R"({"config": {"Cmd": "sh"}})"),
              "image config: config.Cmd: expected an array of strings");
    EXPECT_EQ(error(R"({"config": {"Env": [1]}})"),
              "image config: config.Env: expected an array of strings");
    EXPECT_EQ(error(R"({"config": {"User": 0}})"), "image config: config.User: expected a string");
}

class Workloads : public ::testing::Test {
protected:
    void SetUp() override {
        auto dir = base::TempDir::create("microvm-workload-test-");
        ASSERT_TRUE(dir);
        m_dir.emplace(std::move(*dir));
        fs::create_directories(m_dir->path() / "etc");
        test::write_file(m_dir->path() / "etc/passwd",
                         "root:x:0:0:root:/root:/bin/sh\nnginx:x:101:102:nginx:/var/cache/nginx:/"
                         "sbin/nologin\n");
        test::write_file(m_dir->path() / "etc/group", "root:x:0:\nnginx:x:102:\n");
        auto root = base::open_root(m_dir->path());
        ASSERT_TRUE(root);
        m_root = std::move(*root);
    }
    Workload resolve(ImageConfig const& config, WorkloadOverrides const& overrides = {}) {
        auto workload = resolve_workload(config, overrides, m_root);
        EXPECT_TRUE(workload) << workload.error().text();
        return workload ? *workload : Workload{};
    }
    std::string error(ImageConfig const& config, WorkloadOverrides const& overrides = {}) {
        auto workload = resolve_workload(config, overrides, m_root);
        EXPECT_FALSE(workload);
        return workload ? "" : workload.error().text();
    }

    std::optional<base::TempDir> m_dir;
    base::Fd m_root;
};

ImageConfig nginx() {
    return {.entrypoint = {"/docker-entrypoint.sh"},
            .cmd = {"nginx", "-g", "daemon off;"},
            .env = {"NGINX_VERSION=1.27"},
            .working_dir = "",
            .user = ""};
}

TEST_F(Workloads, EntrypointPlusCmd) {
    auto const workload = resolve(nginx());
    EXPECT_EQ(workload.argv,
              (std::vector<std::string>{"/docker-entrypoint.sh", "nginx", "-g", "daemon off;"}));
    EXPECT_EQ(workload.cwd, "/");
    EXPECT_EQ(workload.uid, 0u);
    EXPECT_EQ(workload.gid, 0u);
}

TEST_F(Workloads, CommandReplacesCmdAndKeepsEntrypoint) {
    auto const workload = resolve(nginx(), {.command = {"nginx", "-t"}});
    EXPECT_EQ(workload.argv, (std::vector<std::string>{"/docker-entrypoint.sh", "nginx", "-t"}));
}

TEST_F(Workloads, EntrypointOverrideDropsTheImageCmd) {
    EXPECT_EQ(resolve(nginx(), {.entrypoint = std::vector<std::string>{"/bin/sh"}}).argv,
              (std::vector<std::string>{"/bin/sh"}));
    EXPECT_EQ(resolve(nginx(),
                      {.command = {"-c", "id"}, .entrypoint = std::vector<std::string>{"/bin/sh"}})
                  .argv,
              (std::vector<std::string>{"/bin/sh", "-c", "id"}));
    EXPECT_EQ(resolve(nginx(), {.command = {"ls"}, .entrypoint = std::vector<std::string>{}}).argv,
              (std::vector<std::string>{"ls"}));
}

TEST_F(Workloads, NoCommandAtAll) {
    EXPECT_EQ(error(ImageConfig{}),
              "no command: the image has neither Entrypoint nor Cmd, and none was given");
    EXPECT_NE(error(nginx(), {.entrypoint = std::vector<std::string>{}}).find("no command"),
              std::string::npos);
}

TEST_F(Workloads, EnvironmentDefaultsAndOverrides) {
    auto const plain = resolve(nginx());
    EXPECT_EQ(plain.env,
              (std::vector<std::string>{"NGINX_VERSION=1.27", default_path_env, "HOME=/root"}));

    ImageConfig config = nginx();
    config.env = {"PATH=/opt/bin", "A=1", "BROKEN", "HOME=/home/app"};
    auto const merged = resolve(config, {.env = {"A=2", "B=", "PATH=/x"}});
    EXPECT_EQ(merged.env, (std::vector<std::string>{"PATH=/x", "A=2", "HOME=/home/app", "B="}));

    EXPECT_EQ(error(nginx(), {.env = {"NOVALUE"}}),
              "environment entry \"NOVALUE\" is not KEY=VALUE");
    EXPECT_EQ(error(nginx(), {.env = {"=x"}}), "environment entry \"=x\" is not KEY=VALUE");
}

TEST_F(Workloads, WorkingDirectory) {
    ImageConfig config = nginx();
    config.working_dir = "/srv/app";
    EXPECT_EQ(resolve(config).cwd, "/srv/app");
    config.working_dir = "relative";
    EXPECT_EQ(resolve(config).cwd, "/relative");
    EXPECT_EQ(resolve(config, {.working_dir = "/tmp"}).cwd, "/tmp");
    EXPECT_EQ(error(config, {.working_dir = "tmp"}),
              "working directory \"tmp\" is not an absolute path");
}

TEST_F(Workloads, UserFromImageAndOverride) {
    ImageConfig config = nginx();
    config.user = "nginx";
    auto const image_user = resolve(config);
    EXPECT_EQ(image_user.uid, 101u);
    EXPECT_EQ(image_user.gid, 102u);
    EXPECT_EQ(image_user.env.back(), "HOME=/var/cache/nginx");
    auto const overridden = resolve(config, {.user = "1000:1000"});
    EXPECT_EQ(overridden.uid, 1000u);
    EXPECT_EQ(overridden.gid, 1000u);
    EXPECT_EQ(overridden.env.back(), "HOME=/") << "an unlisted user's home is /";
    EXPECT_NE(error(config, {.user = "nobody"}).find("no user \"nobody\""), std::string::npos);
}

} // namespace
} // namespace microvm::image
