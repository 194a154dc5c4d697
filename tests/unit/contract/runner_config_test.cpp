#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "base/temp_dir.hpp"
#include "contract/runner_config.hpp"
#include "support/test_support.hpp"

namespace microvm::contract {
namespace {

using nlohmann::json;

class RunnerConfigTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto dir = base::TempDir::create("runner-config-test-");
        ASSERT_TRUE(dir) << dir.error().text();
        m_dir.emplace(std::move(*dir));
        std::filesystem::create_directory(root());
        std::filesystem::create_directory(share("data"));
        std::filesystem::create_directory(share("src"));
        std::filesystem::create_directory(share("run"));
        test::write_file(path() / "file", "x");
    }

    std::filesystem::path const& path() const { return m_dir->path(); }
    std::string root() const { return path() / "root"; }
    std::string share(std::string const& name) const { return path() / name; }

    // A minimal valid document, for tests to modify.
    json minimal() const { return {{"root_path", root()}, {"num_vcpus", 1}, {"ram_mib", 512}}; }

    std::string error_of(json const& document) const {
        auto result = parse_runner_config(document.dump());
        if (result) {
            return "(no error)";
        }
        return result.error().text();
    }

private:
    std::optional<base::TempDir> m_dir;
};

TEST_F(RunnerConfigTest, ParsesEveryKey) {
    json document = {
        {"root_path", root()},
        {"num_vcpus", 4},
        {"ram_mib", 2048},
        {"virtiofs_mounts",
         {{{"tag", "data"}, {"path", share("data")}, {"read_only", true}},
          {{"tag", "src"},
           {"path", share("src")},
           {"allow_setuid", true},
           {"allow_devices", true}}}},
        {"port_forwards",
         {{{"host", 8080}, {"guest", 80}, {"protocol", "tcp"}},
          {{"host", 5353}, {"guest", 53}, {"protocol", "udp"}, {"host_address", "0.0.0.0"}}}},
        {"net_sock_path", "/run/net.sock"},
        {"console_log_path", "/tmp/console.log"},
        {"stdout_path", "/tmp/out"},
        {"stderr_path", "/tmp/err"},
        {"report_path", "/tmp/result.json"},
        {"runtime_dir", share("run")},
        {"log_level", 3},
        {"engine", "qemu"},
        {"read_only_policy", "allow-guest-only"},
        {"libkrun", {{"library", "/opt/libkrun.so.1"}}},
        {"qemu", {{"binary", "/usr/bin/qemu"}, {"kernel", "/boot/vmlinuz"}, {"accel", "tcg"}}},
    };
    auto config = parse_runner_config(document.dump());
    ASSERT_TRUE(config) << config.error().text();
    EXPECT_EQ(config->root_path, root());
    EXPECT_EQ(config->num_vcpus, 4u);
    EXPECT_EQ(config->ram_mib, 2048u);
    ASSERT_EQ(config->virtiofs_mounts.size(), 2u);
    EXPECT_EQ(config->virtiofs_mounts[0].tag, "data");
    EXPECT_EQ(config->virtiofs_mounts[0].path, share("data"));
    EXPECT_TRUE(config->virtiofs_mounts[0].read_only);
    EXPECT_FALSE(config->virtiofs_mounts[1].read_only);
    EXPECT_FALSE(config->virtiofs_mounts[0].allow_setuid);
    EXPECT_FALSE(config->virtiofs_mounts[0].allow_devices);
    EXPECT_TRUE(config->virtiofs_mounts[1].allow_setuid);
    EXPECT_TRUE(config->virtiofs_mounts[1].allow_devices);
    ASSERT_EQ(config->port_forwards.size(), 2u);
    EXPECT_EQ(config->port_forwards[0].host, 8080);
    EXPECT_EQ(config->port_forwards[0].guest, 80);
    EXPECT_EQ(config->port_forwards[0].protocol, Protocol::tcp);
    EXPECT_EQ(config->port_forwards[0].host_address, "127.0.0.1");
    EXPECT_EQ(config->port_forwards[1].protocol, Protocol::udp);
    EXPECT_EQ(config->port_forwards[1].host_address, "0.0.0.0");
    EXPECT_EQ(config->net_sock_path, "/run/net.sock");
    EXPECT_EQ(config->console_log_path, "/tmp/console.log");
    EXPECT_EQ(config->stdout_path, "/tmp/out");
    EXPECT_EQ(config->stderr_path, "/tmp/err");
    EXPECT_EQ(config->report_path, "/tmp/result.json");
    EXPECT_EQ(config->runtime_dir, share("run"));
    EXPECT_EQ(config->log_level, 3u);
    EXPECT_EQ(config->engine, Engine::qemu);
    EXPECT_EQ(config->read_only_policy, ReadOnlyPolicy::allow_guest_only);
    EXPECT_EQ(config->libkrun.library, "/opt/libkrun.so.1");
    EXPECT_EQ(config->qemu.binary, "/usr/bin/qemu");
    EXPECT_EQ(config->qemu.kernel, "/boot/vmlinuz");
    EXPECT_EQ(config->qemu.accel, "tcg");
    EXPECT_EQ(config->qemu.virtiofsd, "/usr/lib/qemu/virtiofsd"); // default kept
}

TEST_F(RunnerConfigTest, DefaultsForAbsentKeys) {
    auto config = parse_runner_config(minimal().dump());
    ASSERT_TRUE(config) << config.error().text();
    EXPECT_EQ(config->engine, Engine::libkrun);
    EXPECT_EQ(config->read_only_policy, ReadOnlyPolicy::require_host);
    EXPECT_EQ(config->libkrun.library, "libkrun.so.1");
    EXPECT_EQ(config->log_level, 0u);
    EXPECT_TRUE(config->virtiofs_mounts.empty());
    EXPECT_TRUE(config->port_forwards.empty());
}

TEST_F(RunnerConfigTest, IgnoresUnknownKeys) {
    json document = minimal();
    document["future_key"] = {{"nested", true}};
    document["virtiofs_mounts"] = {{{"tag", "data"}, {"path", share("data")}, {"uid", 1000}}};
    document["libkrun"] = {{"library", "libkrun.so.1"}, {"firmware", "x"}};
    auto config = parse_runner_config(document.dump());
    ASSERT_TRUE(config) << config.error().text();
    EXPECT_EQ(config->virtiofs_mounts.size(), 1u);
}

TEST_F(RunnerConfigTest, RoundTripsThroughSerialize) {
    RunnerConfig config;
    config.root_path = root();
    config.num_vcpus = 2;
    config.ram_mib = 1024;
    config.virtiofs_mounts = {{"data", share("data"), true}, {"src", share("src"), false}};
    config.port_forwards = {{8080, 80, Protocol::tcp, "127.0.0.1"},
                            {5353, 53, Protocol::udp, "0.0.0.0"}};
    config.net_sock_path = "/run/net.sock";
    config.console_log_path = "/tmp/console.log";
    config.stdout_path = "/tmp/out";
    config.report_path = "/tmp/result.json";
    config.runtime_dir = share("run");
    config.log_level = 5;
    config.engine = Engine::qemu;
    config.read_only_policy = ReadOnlyPolicy::allow_guest_only;
    config.libkrun.library = "/opt/lib/libkrun.so.1";
    config.qemu.kernel = "/boot/vmlinuz";
    config.qemu.initrd = "/tmp/initrd";
    config.qemu.accel = "kvm";

    std::string const text = serialize(config);
    auto parsed = parse_runner_config(text);
    ASSERT_TRUE(parsed) << parsed.error().text();
    EXPECT_EQ(serialize(*parsed), text);
    EXPECT_EQ(parsed->virtiofs_mounts[0].read_only, true);
    EXPECT_EQ(parsed->virtiofs_mounts[1].read_only, false);
    EXPECT_EQ(parsed->port_forwards[1].protocol, Protocol::udp);
    EXPECT_EQ(parsed->port_forwards[1].host_address, "0.0.0.0");
    EXPECT_EQ(parsed->engine, Engine::qemu);
    EXPECT_EQ(parsed->read_only_policy, ReadOnlyPolicy::allow_guest_only);
    EXPECT_EQ(parsed->libkrun.library, "/opt/lib/libkrun.so.1");
    EXPECT_EQ(parsed->qemu.initrd, "/tmp/initrd");
    EXPECT_EQ(parsed->qemu.accel, "kvm");
    EXPECT_EQ(parsed->report_path, "/tmp/result.json");
    EXPECT_EQ(parsed->runtime_dir, share("run"));
}

TEST_F(RunnerConfigTest, RoundTripsOverlayRoot) {
    std::filesystem::create_directory(path() / "upper");
    std::filesystem::create_directory(path() / "work");
    RunnerConfig config;
    config.root_path = root();
    config.root_upper_dir = path() / "upper";
    config.root_work_dir = path() / "work";
    config.num_vcpus = 1;
    config.ram_mib = 256;
    auto parsed = parse_runner_config(serialize(config));
    ASSERT_TRUE(parsed) << parsed.error().text();
    EXPECT_EQ(parsed->root_upper_dir, config.root_upper_dir);
    EXPECT_EQ(parsed->root_work_dir, config.root_work_dir);
    EXPECT_TRUE(parsed->root_disk_image.empty());
}

TEST_F(RunnerConfigTest, RoundTripsTheLayersDisk) {
    std::filesystem::create_directories(path() / "layer" / "upper");
    std::filesystem::create_directories(path() / "layer" / "work");
    RunnerConfig config;
    config.root_path = root();
    config.root_upper_dir = path() / "layer" / "upper";
    config.root_work_dir = path() / "layer" / "work";
    config.root_disk_image = path() / "layer.ext4";
    config.num_vcpus = 1;
    config.ram_mib = 256;
    auto parsed = parse_runner_config(serialize(config));
    ASSERT_TRUE(parsed) << parsed.error().text();
    EXPECT_EQ(parsed->root_disk_image, config.root_disk_image);
}

TEST_F(RunnerConfigTest, TheLogCapRoundTripsAndIsLeftOutAtZero) {
    RunnerConfig config;
    config.root_path = root();
    config.num_vcpus = 1;
    config.ram_mib = 256;
    EXPECT_FALSE(json::parse(serialize(config)).contains("log_max_size"));
    config.log_max_size = 64ull << 20;
    auto parsed = parse_runner_config(serialize(config));
    ASSERT_TRUE(parsed) << parsed.error().text();
    EXPECT_EQ(parsed->log_max_size, 64ull << 20);
}

TEST_F(RunnerConfigTest, TheLayersDiskHoldsBothOverlayDirectories) {
    json document = minimal();
    document["root_disk_image"] = share("layer.ext4");
    EXPECT_EQ(error_of(document),
              "root_disk_image needs root_upper_dir and root_work_dir (the layer it holds)");

    std::filesystem::create_directories(path() / "a" / "upper");
    std::filesystem::create_directories(path() / "b" / "work");
    document["root_upper_dir"] = (path() / "a" / "upper").string();
    document["root_work_dir"] = (path() / "b" / "work").string();
    EXPECT_EQ(error_of(document), "root_disk_image: root_upper_dir and root_work_dir must share "
                                  "the parent directory the disk is mounted on");
}

TEST_F(RunnerConfigTest, ReadOnlyOmittedWhenFalse) {
    RunnerConfig config;
    config.root_path = root();
    config.num_vcpus = 1;
    config.ram_mib = 512;
    config.virtiofs_mounts = {{"rw", share("data"), false}, {"ro", share("src"), true}};
    json out = json::parse(serialize(config));
    EXPECT_FALSE(out["virtiofs_mounts"][0].contains("read_only"));
    EXPECT_EQ(out["virtiofs_mounts"][1]["read_only"], true);
}

TEST_F(RunnerConfigTest, OmitsEmptyOptionalFields) {
    RunnerConfig config;
    config.root_path = root();
    config.num_vcpus = 1;
    config.ram_mib = 512;
    json out = json::parse(serialize(config));
    for (char const* key : {"virtiofs_mounts", "port_forwards", "net_sock_path", "console_log_path",
                            "stdout_path", "stderr_path", "report_path", "runtime_dir",
                            "root_upper_dir", "root_work_dir", "root_disk_image"}) {
        EXPECT_FALSE(out.contains(key)) << key;
    }
    EXPECT_FALSE(out["qemu"].contains("kernel"));
    EXPECT_EQ(out["engine"], "libkrun");
    EXPECT_EQ(out["read_only_policy"], "require-host");
}

TEST_F(RunnerConfigTest, RequiredFieldMessages) {
    json document = minimal();
    document.erase("root_path");
    EXPECT_EQ(error_of(document), "root_path is required");

    document = minimal();
    document["root_path"] = "";
    EXPECT_EQ(error_of(document), "root_path is required");

    document = minimal();
    document.erase("num_vcpus");
    EXPECT_EQ(error_of(document), "num_vcpus must be > 0");

    document = minimal();
    document["num_vcpus"] = 0;
    EXPECT_EQ(error_of(document), "num_vcpus must be > 0");

    document = minimal();
    document["ram_mib"] = 0;
    EXPECT_EQ(error_of(document), "ram_mib must be > 0");
}

TEST_F(RunnerConfigTest, RootPathMessages) {
    json document = minimal();
    document["root_path"] = share("missing");
    EXPECT_EQ(error_of(document), "root path not found: " + share("missing"));

    document["root_path"] = share("file");
    EXPECT_EQ(error_of(document), "root path is not a directory: " + share("file"));
}

TEST_F(RunnerConfigTest, OverlayRootNeedsBothDirectories) {
    json document = minimal();
    document["root_upper_dir"] = share("data");
    EXPECT_EQ(error_of(document), "root_work_dir is required with root_upper_dir");

    document = minimal();
    document["root_work_dir"] = share("data");
    EXPECT_EQ(error_of(document), "root_upper_dir is required with root_work_dir");

    document["root_upper_dir"] = share("missing");
    EXPECT_EQ(error_of(document), "root upper dir not found: " + share("missing"));
}

TEST_F(RunnerConfigTest, RuntimeDirMessages) {
    json document = minimal();
    document["runtime_dir"] = share("missing");
    EXPECT_EQ(error_of(document), "runtime dir not found: " + share("missing"));

    document["runtime_dir"] = share("file");
    EXPECT_EQ(error_of(document), "runtime dir is not a directory: " + share("file"));

    document["runtime_dir"] = 7;
    EXPECT_EQ(error_of(document), "runtime_dir must be a string");

    // The engine's sockets there must still fit in a unix socket address.
    std::string const deep = "/" + std::string(max_runtime_dir_length, 'd');
    document["runtime_dir"] = deep;
    EXPECT_EQ(error_of(document), "runtime_dir is longer than " +
                                      std::to_string(max_runtime_dir_length) + " bytes: " + deep);
}

TEST_F(RunnerConfigTest, ShareMessages) {
    json document = minimal();
    document["virtiofs_mounts"] = {{{"tag", ""}, {"path", share("data")}}};
    EXPECT_EQ(error_of(document), "virtiofs_mounts[0]: tag must not be empty");

    document["virtiofs_mounts"] = {{{"path", share("data")}}};
    EXPECT_EQ(error_of(document), "virtiofs_mounts[0]: tag must not be empty");

    document["virtiofs_mounts"] = {{{"tag", "data"}, {"path", share("data")}},
                                   {{"tag", "data"}, {"path", share("src")}}};
    EXPECT_EQ(error_of(document), "virtiofs_mounts[1]: duplicate tag \"data\"");

    document["virtiofs_mounts"] = {{{"tag", "a/b"}, {"path", share("data")}}};
    EXPECT_EQ(error_of(document),
              "virtiofs_mounts[0]: tag \"a/b\" has a character outside [A-Za-z0-9._-]");

    document["virtiofs_mounts"] = {{{"tag", std::string(37, 'x')}, {"path", share("data")}}};
    EXPECT_EQ(error_of(document),
              "virtiofs_mounts[0]: tag \"" + std::string(37, 'x') + "\" is longer than 36 bytes");

    document["virtiofs_mounts"] = {{{"tag", "data"}}};
    EXPECT_EQ(error_of(document), "virtiofs_mounts[0] (tag \"data\"): path is required");

    document["virtiofs_mounts"] = {{{"tag", "data"}, {"path", share("data")}},
                                   {{"tag", "gone"}, {"path", share("missing")}}};
    EXPECT_EQ(error_of(document),
              "virtiofs_mounts[1] (tag \"gone\"): share path not found: " + share("missing"));

    document["virtiofs_mounts"] = {{{"tag", "f"}, {"path", share("file")}}};
    EXPECT_EQ(error_of(document),
              "virtiofs_mounts[0] (tag \"f\"): share path is not a directory: " + share("file"));
}

TEST_F(RunnerConfigTest, PortForwardMessages) {
    json document = minimal();
    document["port_forwards"] = {{{"host", 0}, {"guest", 80}}};
    EXPECT_EQ(error_of(document), "port_forwards[0].host must be > 0");

    document["port_forwards"] = {{{"host", 8080}}};
    EXPECT_EQ(error_of(document), "port_forwards[0].guest must be > 0");

    document["port_forwards"] = {{{"host", 70000}, {"guest", 80}}};
    EXPECT_EQ(error_of(document), "port_forwards[0].host must be an integer in 0..65535");

    document["port_forwards"] = {{{"host", 8080}, {"guest", 80}},
                                 {{"host", 8080}, {"guest", 81}, {"protocol", "tcp"}}};
    EXPECT_EQ(error_of(document), "port_forwards[1]: host port 8080/tcp is forwarded twice");

    document["port_forwards"] = {{{"host", 53}, {"guest", 53}, {"protocol", "tcp"}},
                                 {{"host", 53}, {"guest", 53}, {"protocol", "udp"}}};
    EXPECT_EQ(error_of(document), "(no error)");

    document["port_forwards"] = {{{"host", 53}, {"guest", 53}, {"protocol", "sctp"}}};
    EXPECT_EQ(error_of(document), "port_forwards[0].protocol: unknown protocol \"sctp\" "
                                  "(expected one of tcp, udp)");
}

TEST_F(RunnerConfigTest, WrongTypesNameTheField) {
    json document = minimal();
    document["num_vcpus"] = "2";
    EXPECT_EQ(error_of(document), "num_vcpus must be an integer in 0..4294967295");

    document = minimal();
    document["ram_mib"] = -1;
    EXPECT_EQ(error_of(document), "ram_mib must be an integer in 0..4294967295");

    document = minimal();
    document["ram_mib"] = 1.5;
    EXPECT_EQ(error_of(document), "ram_mib must be an integer in 0..4294967295");

    document = minimal();
    document["root_path"] = 7;
    EXPECT_EQ(error_of(document), "root_path must be a string");

    document = minimal();
    document["virtiofs_mounts"] = {{{"tag", "data"}, {"path", share("data")}, {"read_only", 1}}};
    EXPECT_EQ(error_of(document), "virtiofs_mounts[0].read_only must be true or false");

    document["virtiofs_mounts"] = {
        {{"tag", "data"}, {"path", share("data")}, {"read_only", nullptr}}};
    EXPECT_EQ(error_of(document), "virtiofs_mounts[0].read_only must be true or false");

    document["virtiofs_mounts"] = {"data"};
    EXPECT_EQ(error_of(document), "virtiofs_mounts[0] must be an object");

    document["virtiofs_mounts"] = json::array({json::array({"tag", "data"})});
    EXPECT_EQ(error_of(document), "virtiofs_mounts[0] must be an object");

    document["virtiofs_mounts"] = {{"tag", "data"}}; // an object, not a list of them
    EXPECT_EQ(error_of(document), "virtiofs_mounts must be an array");

    document["virtiofs_mounts"] = "data";
    EXPECT_EQ(error_of(document), "virtiofs_mounts must be an array");

    document = minimal();
    document["engine"] = "firecracker";
    EXPECT_EQ(error_of(document),
              "engine: unknown engine \"firecracker\" (expected one of libkrun, qemu)");

    document = minimal();
    document["read_only_policy"] = "none";
    EXPECT_EQ(error_of(document), "read_only_policy: unknown read-only policy \"none\" "
                                  "(expected one of require-host, allow-guest-only)");

    document = minimal();
    document["libkrun"] = "libkrun.so";
    EXPECT_EQ(error_of(document), "libkrun must be an object");

    document = minimal();
    document["qemu"] = {{"kernel", false}};
    EXPECT_EQ(error_of(document), "qemu.kernel must be a string");

    document = minimal();
    document["log_level"] = 6;
    EXPECT_EQ(error_of(document), "log_level must be in 0..5");

    document = minimal();
    document["libkrun"] = {{"library", ""}};
    EXPECT_EQ(error_of(document), "libkrun.library must not be empty");
}

TEST_F(RunnerConfigTest, RejectsTextThatIsNotAnObject) {
    EXPECT_TRUE(error_of(json::array()).starts_with("runner.json must hold a JSON object"));
    auto result = parse_runner_config("{\"root_path\": ");
    ASSERT_FALSE(result);
    EXPECT_TRUE(result.error().text().starts_with("not valid JSON: parse error"))
        << result.error().text();
}

TEST_F(RunnerConfigTest, NumberTooLargeIsAnErrorNotAnException) {
    // Found by tests/fuzz/runner_config_fuzz.cpp: nlohmann throws out_of_range, not
    // parse_error, for a number a double cannot hold, and the exception ended the runner.
    auto result = parse_runner_config("{\"ram_mib\": 5e555}");
    ASSERT_FALSE(result);
    EXPECT_TRUE(result.error().text().starts_with("not valid JSON: number overflow"))
        << result.error().text();
}

TEST_F(RunnerConfigTest, LoadNamesTheFile) {
    auto file = path() / "runner.json";
    json document = minimal();
    document["num_vcpus"] = 0;
    test::write_file(file, document.dump());
    auto result = load_runner_config(file);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().text(), file.string() + ": num_vcpus must be > 0");

    auto missing = load_runner_config(path() / "nope.json");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().text(),
              "open " + (path() / "nope.json").string() + ": No such file or directory");

    test::write_file(file, minimal().dump());
    auto loaded = load_runner_config(file);
    ASSERT_TRUE(loaded) << loaded.error().text();
    EXPECT_EQ(loaded->root_path, root());
}

} // namespace
} // namespace microvm::contract
