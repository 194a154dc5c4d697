#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "host/hypervisor/libkrun/runner_config.hpp"

namespace microvm::hypervisor::libkrun {
namespace {

VmConfig sample() {
    VmConfig config;
    config.name = "web";
    config.root = {
        .source = "/cache/rootfs", .upper_dir = "/vms/web/upper", .work_dir = "/vms/web/work"};
    config.cpus = 3;
    config.memory_mib = 768;
    config.mounts = {{.tag = "src", .host_path = "/home/me/src", .read_only = true},
                     {.tag = "out", .host_path = "/home/me/out", .read_only = false}};
    config.ports = {
        {.host = 8080, .guest = 80, .protocol = Protocol::udp, .host_address = "0.0.0.0"}};
    config.read_only_policy = ReadOnlyPolicy::allow_guest_only;
    config.log_level = 2;
    config.vm_dir = "/vms/web";
    config.console_log_path = "/vms/web/console.log";
    config.stdout_path = "/vms/web/stdout.log";
    config.stderr_path = "/vms/web/stderr.log";
    config.result_path = "/vms/web/result.json";
    return config;
}

TEST(LibkrunRunnerConfig, CarriesEveryField) {
    auto out = build_runner_config(sample(), "/opt/krun/libkrun.so.1");
    EXPECT_EQ(out.engine, contract::Engine::libkrun);
    EXPECT_EQ(out.libkrun.library, "/opt/krun/libkrun.so.1");
    EXPECT_EQ(out.root_path, "/cache/rootfs");
    EXPECT_EQ(out.root_upper_dir, "/vms/web/upper");
    EXPECT_EQ(out.root_work_dir, "/vms/web/work");
    EXPECT_EQ(out.num_vcpus, 3u);
    EXPECT_EQ(out.ram_mib, 768u);
    EXPECT_EQ(out.log_level, 2u);
    EXPECT_EQ(out.console_log_path, "/vms/web/console.log");
    EXPECT_EQ(out.stdout_path, "/vms/web/stdout.log");
    EXPECT_EQ(out.stderr_path, "/vms/web/stderr.log");
    EXPECT_EQ(out.result_path, "/vms/web/result.json");
    ASSERT_EQ(out.port_forwards.size(), 1u);
    EXPECT_EQ(out.port_forwards[0].host, 8080);
    EXPECT_EQ(out.port_forwards[0].guest, 80);
    EXPECT_EQ(out.port_forwards[0].protocol, Protocol::udp);
    EXPECT_EQ(out.port_forwards[0].host_address, "0.0.0.0");
}

TEST(LibkrunRunnerConfig, KeepsReadOnlyAndThePolicy) {
    auto config = sample();
    auto out = build_runner_config(config, "libkrun.so.1");
    ASSERT_EQ(out.virtiofs_mounts.size(), 2u);
    EXPECT_EQ(out.virtiofs_mounts[0].tag, "src");
    EXPECT_EQ(out.virtiofs_mounts[0].path, "/home/me/src");
    EXPECT_TRUE(out.virtiofs_mounts[0].read_only);
    EXPECT_EQ(out.virtiofs_mounts[1].tag, "out");
    EXPECT_FALSE(out.virtiofs_mounts[1].read_only);
    EXPECT_EQ(out.read_only_policy, ReadOnlyPolicy::allow_guest_only);

    config.read_only_policy = ReadOnlyPolicy::require_host;
    EXPECT_EQ(build_runner_config(config, "libkrun.so.1").read_only_policy,
              ReadOnlyPolicy::require_host);
}

TEST(LibkrunRunnerConfig, ReadOnlySurvivesSerialization) {
    // Read back as plain JSON: the sample's paths do not exist, so parse_runner_config() would
    // refuse the file before anyone could look at its shares.
    auto json =
        nlohmann::json::parse(contract::serialize(build_runner_config(sample(), "libkrun.so.1")));
    ASSERT_EQ(json["virtiofs_mounts"].size(), 2u);
    EXPECT_EQ(json["virtiofs_mounts"][0]["tag"], "src");
    EXPECT_EQ(json["virtiofs_mounts"][0]["read_only"], true);
    EXPECT_EQ(json["virtiofs_mounts"][1]["tag"], "out");
    EXPECT_FALSE(json["virtiofs_mounts"][1].value("read_only", false));
    EXPECT_EQ(json["read_only_policy"], "allow-guest-only");
    EXPECT_EQ(json["engine"], "libkrun");
}

} // namespace
} // namespace microvm::hypervisor::libkrun
