#include <gtest/gtest.h>

#include "cli/ps_command.hpp"
#include "cli/vm_format.hpp"

namespace microvm::cli {
namespace {

VmInfo sample() {
    VmInfo info;
    info.name = "web";
    info.image = "docker.io/library/nginx:1.27";
    info.status = VmStatus::running;
    info.pid = 1234;
    info.created = std::chrono::system_clock::from_time_t(1767323045);
    info.ports = {{.host = 8080, .guest = 80}};
    info.mounts = {
        {.mount =
             {.tag = "src", .host_path = "/home/me/src", .guest_path = "/src", .read_only = true},
         .enforcement = Enforcement::host_and_guest},
        {.mount = {.tag = "out", .host_path = "/tmp/out", .guest_path = "/out"},
         .enforcement = Enforcement::none},
    };
    return info;
}

TEST(VmFormat, StatusAsPodmanWordsIt) {
    VmInfo info = sample();
    EXPECT_EQ(status_text(info), "running");
    info.status = VmStatus::exited;
    info.exit_code = 3;
    EXPECT_EQ(status_text(info), "exited (3)");
    info.exit_code.reset();
    info.error = "killed";
    EXPECT_EQ(status_text(info), "exited (error)");
    info.status = VmStatus::created;
    EXPECT_EQ(status_text(info), "created");
}

TEST(VmFormat, PortsMountsAndSource) {
    VmInfo info = sample();
    EXPECT_EQ(ports_text(info), "127.0.0.1:8080->80/tcp");
    EXPECT_EQ(mounts_text(info), "/home/me/src:/src:ro, /tmp/out:/out");
    EXPECT_EQ(source_text(info), "docker.io/library/nginx:1.27");
    info.image.clear();
    info.rootfs = "/srv/root";
    EXPECT_EQ(source_text(info), "/srv/root");
}

TEST(VmFormat, JsonCarriesStateAndEnforcement) {
    auto json = vm_json(sample());
    EXPECT_EQ(json["name"], "web");
    EXPECT_EQ(json["state"]["status"], "running");
    EXPECT_EQ(json["state"]["pid"], 1234);
    EXPECT_TRUE(json["state"]["exit_code"].is_null());
    EXPECT_EQ(json["state"]["created"], "2026-01-02T03:04:05Z");
    ASSERT_EQ(json["mounts"].size(), 2U);
    EXPECT_EQ(json["mounts"][0]["read_only"], true);
    EXPECT_EQ(json["mounts"][0]["enforced"], "host+guest");
    EXPECT_TRUE(json["mounts"][1]["enforced"].is_null());
    EXPECT_EQ(json["ports"][0]["host"], 8080);
}

TEST(PsTable, ColumnsLineUp) {
    auto table = ps_table({sample()}, 1767323045 + 5);
    EXPECT_EQ(table, "NAME   IMAGE                          STATUS    CREATED         PORTS       "
                     "             MOUNTS\n"
                     "web    docker.io/library/nginx:1.27   running   5 seconds ago   "
                     "127.0.0.1:8080->80/tcp   /home/me/src:/src:ro, /tmp/out:/out\n");
}

} // namespace
} // namespace microvm::cli
