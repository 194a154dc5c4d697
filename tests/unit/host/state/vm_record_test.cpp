#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "host/state/vm_record.hpp"

namespace microvm::state {
namespace {

VmRecord full_record() {
    VmRecord record;
    VmInfo& info = record.info;
    info.name = "web-1";
    info.image = "docker.io/library/alpine:3.20";
    info.rootfs = "/data/images/rootfs/abc";
    info.command = {"sh", "-c", "echo \"hi\""};
    info.status = VmStatus::exited;
    info.exit_code = 42;
    info.created = std::chrono::system_clock::from_time_t(1767323045);
    info.started = std::chrono::system_clock::from_time_t(1767323046);
    info.finished = std::chrono::system_clock::from_time_t(1767323100);
    info.backend = BackendKind::qemu;
    info.kernel = "/boot/vmlinuz-6.1.0-28-amd64";
    info.cpus = 2;
    info.memory_mib = 1024;
    info.disk_size = 256ull << 20;
    info.log_max_size = 1ull << 20;
    info.ports = {{.host = 8080, .guest = 80, .protocol = Protocol::tcp, .host_address = "::1"}};
    info.mounts = {
        {.mount =
             {.tag = "src", .host_path = "/home/me/src", .guest_path = "/src", .read_only = true},
         .enforcement = Enforcement::guest_only},
        {.mount = {.tag = "out", .host_path = "/tmp/out", .guest_path = "/out", .read_only = false},
         .enforcement = Enforcement::none},
    };
    info.read_only_policy = ReadOnlyPolicy::allow_guest_only;
    info.auto_remove = true;
    record.runner = process::ProcessIdentity{
        .pid = 4242, .start_time = 987654321, .exe = "/usr/libexec/microvm-runner"};
    info.pid = 4242;
    return record;
}

TEST(VmRecord, EveryFieldSurvivesARoundTrip) {
    auto const original = full_record();
    auto parsed = parse_record(serialize(original));
    ASSERT_TRUE(parsed) << parsed.error().text();
    VmInfo const& a = original.info;
    VmInfo const& b = parsed->info;
    EXPECT_EQ(b.name, a.name);
    EXPECT_EQ(b.image, a.image);
    EXPECT_EQ(b.rootfs, a.rootfs);
    EXPECT_EQ(b.command, a.command);
    EXPECT_EQ(b.status, a.status);
    EXPECT_EQ(b.exit_code, a.exit_code);
    EXPECT_EQ(b.created, a.created);
    EXPECT_EQ(b.started, a.started);
    EXPECT_EQ(b.finished, a.finished);
    EXPECT_EQ(b.backend, a.backend);
    EXPECT_EQ(b.kernel, a.kernel);
    EXPECT_EQ(b.cpus, a.cpus);
    EXPECT_EQ(b.memory_mib, a.memory_mib);
    EXPECT_EQ(b.disk_size, a.disk_size);
    EXPECT_EQ(b.log_max_size, a.log_max_size);
    ASSERT_EQ(b.ports.size(), 1U);
    EXPECT_EQ(b.ports[0].host, 8080);
    EXPECT_EQ(b.ports[0].guest, 80);
    EXPECT_EQ(b.ports[0].host_address, "::1");
    ASSERT_EQ(b.mounts.size(), 2U);
    EXPECT_EQ(b.mounts[0].mount.tag, "src");
    EXPECT_EQ(b.mounts[0].mount.host_path, "/home/me/src");
    EXPECT_EQ(b.mounts[0].mount.guest_path, "/src");
    EXPECT_TRUE(b.mounts[0].mount.read_only);
    EXPECT_EQ(b.mounts[0].enforcement, Enforcement::guest_only);
    EXPECT_FALSE(b.mounts[1].mount.read_only);
    EXPECT_EQ(b.read_only_policy, a.read_only_policy);
    EXPECT_TRUE(b.auto_remove);
    EXPECT_EQ(parsed->runner, original.runner);
    EXPECT_EQ(b.pid, 4242);
}

TEST(VmRecord, ACreatedVmHasNoRunnerAndNoTimesBeyondCreation) {
    VmRecord record;
    record.info.name = "fresh";
    record.info.created = std::chrono::system_clock::from_time_t(1767323045);
    auto parsed = parse_record(serialize(record));
    ASSERT_TRUE(parsed) << parsed.error().text();
    EXPECT_EQ(parsed->info.status, VmStatus::created);
    EXPECT_FALSE(parsed->runner);
    EXPECT_FALSE(parsed->info.started);
    EXPECT_FALSE(parsed->info.exit_code);
    EXPECT_EQ(parsed->info.pid, 0);
    EXPECT_FALSE(parsed->info.disk_size);
}

TEST(VmRecord, BadFilesAreRefusedNamingTheField) {
    auto text = [](auto change) -> std::string {
        auto json = nlohmann::json::parse(serialize(full_record()));
        change(json);
        return json.dump();
    };
    EXPECT_FALSE(parse_record("{\"name\": \"x\""));
    auto status = parse_record(text([](auto& j) { j["status"] = "paused"; }));
    ASSERT_FALSE(status);
    EXPECT_NE(status.error().text().find("status"), std::string::npos) << status.error().text();
    auto name = parse_record(text([](auto& j) { j.erase("name"); }));
    ASSERT_FALSE(name);
    EXPECT_NE(name.error().text().find("name is required"), std::string::npos);
    auto version = parse_record(text([](auto& j) { j["version"] = 2; }));
    ASSERT_FALSE(version);
    EXPECT_NE(version.error().text().find("version 2"), std::string::npos);
    auto pid = parse_record(text([](auto& j) { j["runner"]["pid"] = 1; }));
    ASSERT_FALSE(pid);
    EXPECT_NE(pid.error().text().find("runner.pid"), std::string::npos) << pid.error().text();
    auto time = parse_record(text([](auto& j) { j["created"] = "yesterday"; }));
    ASSERT_FALSE(time);
    EXPECT_NE(time.error().text().find("created"), std::string::npos) << time.error().text();
}

TEST(VmRecord, TimesAreUtcSeconds) {
    auto const time = std::chrono::system_clock::from_time_t(1767323045);
    EXPECT_EQ(format_time(time), "2026-01-02T03:04:05Z");
    auto parsed = parse_time("2026-01-02T03:04:05Z");
    ASSERT_TRUE(parsed) << parsed.error().text();
    EXPECT_EQ(*parsed, time);
    EXPECT_FALSE(parse_time("2026-01-02 03:04:05"));
    EXPECT_FALSE(parse_time("2026-01-02T03:04:05Zjunk"));
}

TEST(VmStatusNames, AsPsShowsThem) {
    EXPECT_STREQ(to_string(VmStatus::created), "created");
    EXPECT_STREQ(to_string(VmStatus::running), "running");
    EXPECT_STREQ(to_string(VmStatus::exited), "exited");
    EXPECT_STREQ(to_string(Enforcement::host_and_guest), "host+guest");
    EXPECT_STREQ(to_string(Enforcement::guest_only), "guest-only");
}

} // namespace
} // namespace microvm::state
