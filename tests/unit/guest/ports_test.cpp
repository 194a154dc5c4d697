#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "base/temp_dir.hpp"
#include "guest/ports.hpp"
#include "support/test_support.hpp"

namespace microvm::guest {
namespace {

namespace fs = std::filesystem;
using microvm::test::write_file;

// A /sys/class/virtio-ports and a /dev as the virtio console driver makes them.
struct FakeSysfs {
    base::TempDir dir = std::move(*base::TempDir::create("microvm-ports-test-"));
    fs::path class_dir = dir.path() / "sys/class/virtio-ports";
    fs::path dev_dir = dir.path() / "dev";

    FakeSysfs() {
        fs::create_directories(class_dir);
        fs::create_directories(dev_dir);
    }
    void add(std::string const& device, std::string const* name) {
        fs::create_directories(class_dir / device);
        if (name) {
            write_file(class_dir / device / "name", *name);
        }
        write_file(dev_dir / device, "");
    }
};

TEST(DiscoverPorts, MapsNamesToDeviceNodes) {
    FakeSysfs sysfs;
    std::string const out = "microvm.stdout\n";
    std::string const status = "microvm.status\n";
    std::string const empty;
    sysfs.add("vport0p1", &out);
    sysfs.add("vport0p3", &status);
    sysfs.add("vport0p0", &empty); // the console port has an empty name
    sysfs.add("vport1p2", nullptr);
    fs::create_directories(sysfs.class_dir / "unrelated");

    auto ports = discover_ports(sysfs.class_dir.string(), sysfs.dev_dir.string());
    EXPECT_EQ(ports, (std::map<std::string, std::string>{
                         {"microvm.status", (sysfs.dev_dir / "vport0p3").string()},
                         {"microvm.stdout", (sysfs.dev_dir / "vport0p1").string()},
                     }));
}

TEST(DiscoverPorts, NoClassDirectoryMeansNoPorts) {
    EXPECT_TRUE(discover_ports("/nonexistent/virtio-ports", "/dev").empty());
}

TEST(OpenPorts, OpensThePortsThatExist) {
    FakeSysfs sysfs;
    std::string const out = "microvm.stdout\n";
    std::string const status = "microvm.status\n";
    sysfs.add("vport0p1", &out);
    sysfs.add("vport0p3", &status);
    auto ports = open_ports(sysfs.class_dir.string(), sysfs.dev_dir.string(), {});
    EXPECT_TRUE(ports.stdout_port.valid());
    EXPECT_FALSE(ports.stderr_port.valid());
    EXPECT_TRUE(ports.status_port.valid());
}

TEST(ReportStatus, WritesTheLine) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    auto reported = report_status(fds[1], 42, {});
    ASSERT_TRUE(reported) << reported.error().text();
    char buffer[32] = {};
    ASSERT_EQ(::read(fds[0], buffer, sizeof buffer), 8);
    EXPECT_STREQ(buffer, "exit=42\n");
    ::close(fds[0]);
    ::close(fds[1]);
}

} // namespace
} // namespace microvm::guest
