#include <gtest/gtest.h>

#include <string>

#include "contract/guest_config.hpp"

namespace microvm::contract {
namespace {

constexpr char source[] = "/etc/microvm.json";

GuestConfig parse_ok(std::string const& json) {
    auto config = parse_guest_config(json, source);
    EXPECT_TRUE(config) << json << " -> " << config.error().text();
    return config ? *config : GuestConfig{};
}

std::string parse_error(std::string const& json) {
    auto config = parse_guest_config(json, source);
    EXPECT_FALSE(config) << json << " parsed";
    return config ? std::string() : config.error().text();
}

void expect_same(GuestConfig const& a, GuestConfig const& b) {
    EXPECT_EQ(a.tmp_size_mib, b.tmp_size_mib);
    EXPECT_EQ(a.virtiofs_mounts, b.virtiofs_mounts);
    EXPECT_EQ(a.argv, b.argv);
    EXPECT_EQ(a.env, b.env);
    EXPECT_EQ(a.cwd, b.cwd);
    EXPECT_EQ(a.user, b.user);
    EXPECT_EQ(a.hostname, b.hostname);
    EXPECT_EQ(a.share_uid, b.share_uid);
    EXPECT_EQ(a.share_gid, b.share_gid);
    EXPECT_TRUE(a == b);
}

GuestConfig full_config() {
    GuestConfig config;
    config.tmp_size_mib = 512;
    config.virtiofs_mounts = {{"workspace", "/workspace", false}, {"data", "/mnt/data", true}};
    config.argv = {"/bin/sh", "-c", "echo \"hi\" && exit 3"};
    config.env = {"PATH=/usr/bin:/bin", "EMPTY=", "UNICODE=h\xc3\xa9"};
    config.cwd = "/srv";
    config.user = "1000:100";
    config.hostname = "vm-1";
    config.share_uid = 1000;
    config.share_gid = 0;
    return config;
}

TEST(GuestConfig, EmptyObjectMeansDefaults) {
    expect_same(parse_ok("{}"), GuestConfig{});
    GuestConfig defaults = parse_ok("{}");
    EXPECT_EQ(defaults.cwd, "/");
    EXPECT_FALSE(defaults.share_uid);
}

TEST(GuestConfig, ReadsGoMicrovmsExample) {
    auto config =
        parse_ok(R"({"tmp_size_mib":512,"virtiofs_mounts":[{"tag":"data","read_only":true}]})");
    EXPECT_EQ(config.tmp_size_mib, 512u);
    ASSERT_EQ(config.virtiofs_mounts.size(), 1u);
    EXPECT_EQ(config.virtiofs_mounts[0], (GuestMount{"data", "/data", true}));
}

TEST(GuestConfig, ReadOnlyDefaultsToFalseAndTagGivesTheMountPoint) {
    auto config =
        parse_ok(R"({"virtiofs_mounts":[{"tag":"workspace","read_only":true},{"tag":"data"}]})");
    ASSERT_EQ(config.virtiofs_mounts.size(), 2u);
    EXPECT_EQ(config.virtiofs_mounts[0], (GuestMount{"workspace", "/workspace", true}));
    EXPECT_EQ(config.virtiofs_mounts[1], (GuestMount{"data", "/data", false}));
    EXPECT_EQ(default_guest_path("workspace"), "/workspace");
}

TEST(GuestConfig, ReadsEveryField) {
    auto config = parse_ok(R"({
        "tmp_size_mib": 64,
        "virtiofs_mounts": [{"tag": "src", "guest_path": "/home/u/src", "read_only": false}],
        "argv": ["/usr/bin/env"], "env": ["A=1"], "cwd": "/tmp", "user": "0",
        "hostname": "box", "share_uid": 4294967295, "share_gid": 7
    })");
    EXPECT_EQ(config.tmp_size_mib, 64u);
    EXPECT_EQ(config.virtiofs_mounts[0], (GuestMount{"src", "/home/u/src", false}));
    EXPECT_EQ(config.argv, std::vector<std::string>{"/usr/bin/env"});
    EXPECT_EQ(config.env, std::vector<std::string>{"A=1"});
    EXPECT_EQ(config.cwd, "/tmp");
    EXPECT_EQ(config.user, "0");
    EXPECT_EQ(config.hostname, "box");
    EXPECT_EQ(config.share_uid, 4294967295u);
    EXPECT_EQ(config.share_gid, 7u);
}

TEST(GuestConfig, IgnoresUnknownKeys) {
    auto config = parse_ok(R"({"future":{"x":[1,2]},"tmp_size_mib":1,
        "virtiofs_mounts":[{"tag":"a","override_uid":5,"read_only":true}]})");
    EXPECT_EQ(config.tmp_size_mib, 1u);
    EXPECT_EQ(config.virtiofs_mounts[0], (GuestMount{"a", "/a", true}));
}

TEST(GuestConfig, RejectsMalformedJsonNamingTheSource) {
    auto text = parse_error("{not json");
    EXPECT_EQ(text.rfind("/etc/microvm.json: ", 0), 0u) << text;
    EXPECT_NE(text.find("parse error"), std::string::npos) << text;
    EXPECT_EQ(text.find("[json.exception"), std::string::npos) << text;
    parse_error("");
    parse_error("{} trailing");
}

TEST(GuestConfig, RejectsANonObjectDocument) {
    EXPECT_EQ(parse_error("[]"), "/etc/microvm.json: expected a JSON object");
    parse_error("null");
    parse_error("\"x\"");
}

TEST(GuestConfig, RejectsWrongTypesNamingTheField) {
    EXPECT_EQ(parse_error(R"({"virtiofs_mounts":[{"tag":"d","read_only":"yes"}]})"),
              "/etc/microvm.json: virtiofs_mounts[0].read_only must be true or false");
    // null is a wrong type, not a default: a read-only flag must never be lost silently.
    EXPECT_EQ(parse_error(R"({"virtiofs_mounts":[{"tag":"d","read_only":null}]})"),
              "/etc/microvm.json: virtiofs_mounts[0].read_only must be true or false");
    EXPECT_EQ(parse_error(R"({"virtiofs_mounts":[{"tag":"d","read_only":1}]})"),
              "/etc/microvm.json: virtiofs_mounts[0].read_only must be true or false");
    EXPECT_EQ(parse_error(R"({"tmp_size_mib":"512"})"),
              "/etc/microvm.json: tmp_size_mib must be an integer in 0..4294967295");
    parse_error(R"({"tmp_size_mib":-1})");
    parse_error(R"({"tmp_size_mib":1.5})");
    parse_error(R"({"tmp_size_mib":4294967296})");
    EXPECT_EQ(parse_error(R"({"virtiofs_mounts":{"tag":"d"}})"),
              "/etc/microvm.json: virtiofs_mounts must be an array");
    EXPECT_EQ(parse_error(R"({"virtiofs_mounts":["d"]})"),
              "/etc/microvm.json: virtiofs_mounts[0] must be an object");
    EXPECT_EQ(parse_error(R"({"virtiofs_mounts":[{"tag":"a"},{"tag":7}]})"),
              "/etc/microvm.json: virtiofs_mounts[1].tag must be a string");
    EXPECT_EQ(parse_error(R"({"argv":["/bin/sh",1]})"),
              "/etc/microvm.json: argv[1] must be a string");
    EXPECT_EQ(parse_error(R"({"argv":"/bin/sh"})"),
              "/etc/microvm.json: argv must be an array of strings");
    parse_error(R"({"env":[null]})");
    parse_error(R"({"cwd":null})");
    parse_error(R"({"hostname":5})");
    parse_error(R"({"share_uid":-5})");
}

TEST(GuestConfig, RejectsBadShares) {
    EXPECT_EQ(parse_error(R"({"virtiofs_mounts":[{"read_only":true}]})"),
              "/etc/microvm.json: virtiofs_mounts[0].tag: is required");
    auto bad_tag = parse_error(R"({"virtiofs_mounts":[{"tag":"a/b"}]})");
    EXPECT_NE(bad_tag.find("virtiofs_mounts[0].tag: tag \"a/b\""), std::string::npos) << bad_tag;
    parse_error(R"({"virtiofs_mounts":[{"tag":""}]})");
    parse_error(R"({"virtiofs_mounts":[{"tag":"0123456789012345678901234567890123456"}]})");
    auto relative = parse_error(R"({"virtiofs_mounts":[{"tag":"a","guest_path":"data"}]})");
    EXPECT_NE(relative.find("virtiofs_mounts[0].guest_path: "), std::string::npos) << relative;
    parse_error(R"({"virtiofs_mounts":[{"tag":"a","guest_path":"/"}]})");
    parse_error(R"({"virtiofs_mounts":[{"tag":"a","guest_path":"/proc/x"}]})");
    parse_error(R"({"virtiofs_mounts":[{"tag":"a","guest_path":"/x/../etc"}]})");
    // The default mount point is validated too.
    auto proc = parse_error(R"({"virtiofs_mounts":[{"tag":"proc"}]})");
    EXPECT_NE(proc.find("virtiofs_mounts[0].guest_path (absent, so /proc)"), std::string::npos)
        << proc;
    parse_error(R"({"virtiofs_mounts":[{"tag":".."}]})");
    EXPECT_EQ(parse_error(R"({"virtiofs_mounts":[{"tag":"a"},{"tag":"a","guest_path":"/b"}]})"),
              "/etc/microvm.json: virtiofs_mounts[1].tag: \"a\" is listed twice");
    EXPECT_EQ(parse_error(R"({"virtiofs_mounts":[{"tag":"a"},{"tag":"b","guest_path":"/a"}]})"),
              "/etc/microvm.json: virtiofs_mounts[1].guest_path: \"/a\" is listed twice");
}

TEST(GuestConfig, RejectsBadWorkloadFields) {
    EXPECT_EQ(parse_error(R"({"cwd":"srv"})"),
              "/etc/microvm.json: cwd: \"srv\" is not an absolute path");
    EXPECT_EQ(parse_error(R"({"env":["NOVALUE"]})"),
              "/etc/microvm.json: env[0]: \"NOVALUE\" is not KEY=VALUE");
    parse_error(R"({"env":["=x"]})");
    EXPECT_EQ(parse_error(R"({"user":"nobody"})"),
              "/etc/microvm.json: user: \"nobody\" is not uid or uid:gid (decimal)");
    parse_error(R"({"user":"1:"})");
    parse_error(R"({"user":"4294967296"})");
    parse_ok(R"({"user":"4294967295:0"})");
    parse_error(R"({"hostname":")" + std::string(65, 'h') + R"("})");
    parse_ok(R"({"hostname":")" + std::string(64, 'h') + R"("})");
    EXPECT_EQ(parse_error(R"({"argv":["a\u0000b"]})"),
              "/etc/microvm.json: argv[0] must not contain a NUL character");
}

TEST(GuestConfig, RoundTripsEveryField) {
    auto const config = full_config();
    auto const text = serialize(config);
    auto again = parse_guest_config(text, source);
    ASSERT_TRUE(again) << text << " -> " << again.error().text();
    expect_same(*again, config);
    EXPECT_EQ(serialize(*again), text);
}

TEST(GuestConfig, RoundTripsTheDefaults) {
    auto const text = serialize(GuestConfig{});
    EXPECT_EQ(text, "{}\n");
    expect_same(parse_ok(text), GuestConfig{});
}

TEST(GuestConfig, OmitsReadOnlyWhenFalse) {
    GuestConfig config;
    config.virtiofs_mounts = {{"rw", "/rw", false}, {"ro", "/ro", true}};
    EXPECT_EQ(serialize(config), R"({
  "virtiofs_mounts": [
    {
      "tag": "rw",
      "guest_path": "/rw"
    },
    {
      "tag": "ro",
      "guest_path": "/ro",
      "read_only": true
    }
  ]
}
)");
}

TEST(GuestConfig, ShareOptInsRoundTripAndAreLeftOutWhenFalse) {
    GuestConfig config;
    config.virtiofs_mounts = {{.tag = "out", .guest_path = "/out", .allow_setuid = true},
                              {.tag = "dev", .guest_path = "/d", .allow_devices = true},
                              {.tag = "plain", .guest_path = "/p"}};
    auto const text = serialize(config);
    EXPECT_EQ(text.find("\"allow_setuid\": false"), std::string::npos) << text;
    auto parsed = parse_guest_config(text, "/etc/microvm.json");
    ASSERT_TRUE(parsed) << parsed.error().text();
    EXPECT_EQ(parsed->virtiofs_mounts, config.virtiofs_mounts);
}

TEST(GuestConfig, InteractiveAndTtyRoundTripAndAreLeftOutWhenFalse) {
    GuestConfig config;
    EXPECT_EQ(serialize(config).find("tty"), std::string::npos);
    config.interactive = true;
    config.tty = true;
    auto parsed = parse_guest_config(serialize(config), "/etc/microvm.json");
    ASSERT_TRUE(parsed) << parsed.error().text();
    EXPECT_TRUE(parsed->interactive);
    EXPECT_TRUE(parsed->tty);
    EXPECT_FALSE(parse_guest_config(R"({"tty": "yes"})", "/etc/microvm.json"));
}

TEST(GuestConfig, WritesGoMicrovmsKeysSoItReadsThem) {
    GuestConfig config;
    config.tmp_size_mib = 512;
    config.virtiofs_mounts = {{"data", "/data", true}};
    auto const text = serialize(config);
    EXPECT_NE(text.find("\"tmp_size_mib\": 512"), std::string::npos) << text;
    EXPECT_NE(text.find("\"tag\": \"data\""), std::string::npos) << text;
    EXPECT_NE(text.find("\"read_only\": true"), std::string::npos) << text;
}

TEST(GuestConfig, SerializeTreatsAnEmptyCwdAsTheRoot) {
    GuestConfig config;
    config.cwd = "";
    EXPECT_EQ(serialize(config), "{}\n");
}

} // namespace
} // namespace microvm::contract
