#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include <microvm/options.hpp>

#include "base/temp_dir.hpp"
#include "support/test_support.hpp"

namespace microvm {
namespace {

class RunOptionsTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto dir = base::TempDir::create("microvm-options-test-");
        ASSERT_TRUE(dir) << dir.error().text();
        m_dir.emplace(std::move(*dir));
        std::filesystem::create_directories(root() / "a");
        std::filesystem::create_directories(root() / "b");
        test::write_file(root() / "file", "x");
    }

    std::filesystem::path root() const { return m_dir->path(); }

    VirtioFSMount share(std::string tag, std::string guest, bool read_only = false) const {
        return {.tag = std::move(tag),
                .host_path = root() / "a",
                .guest_path = std::move(guest),
                .read_only = read_only};
    }

    // The error message of validate(options); empty when it passes.
    static std::string problem(RunOptions const& options) {
        auto result = validate(options);
        return result ? std::string() : result.error().text();
    }

    std::optional<base::TempDir> m_dir;
};

TEST_F(RunOptionsTest, DefaultsAreValid) {
    EXPECT_EQ(problem(RunOptions{}), "");
}

TEST_F(RunOptionsTest, AFullConfigurationIsValid) {
    RunOptions options;
    options.mounts = {share("src", "/src", true), share("out", "/out/")};
    options.mounts[1].host_path = root() / "b";
    options.ports = {{.host = 8080, .guest = 80},
                     {.host = 8080, .guest = 80, .protocol = Protocol::udp},
                     {.host = 9000, .guest = 9000, .host_address = "0.0.0.0"}};
    options.env = {"A=1", "EMPTY=", "B=x=y"};
    options.workdir = "/work";
    options.rootfs = root() / "b";
    EXPECT_EQ(problem(options), "");
}

TEST_F(RunOptionsTest, NameMustBeSafeAsADirectoryName) {
    for (std::string name :
         std::vector<std::string>{"", ".", "..", "a/b", "-x", "a b", std::string(65, 'n')}) {
        RunOptions options;
        options.name = name;
        EXPECT_EQ(problem(options).rfind("name ", 0), 0u) << name;
    }
    RunOptions options;
    options.name = "a/b";
    EXPECT_EQ(problem(options), "name \"a/b\" has a character outside [A-Za-z0-9_.-]");
    options.name = "web-1.test_x";
    EXPECT_EQ(problem(options), "");
}

TEST_F(RunOptionsTest, ResourcesMustBePositive) {
    RunOptions options;
    options.cpus = 0;
    EXPECT_EQ(problem(options), "cpus must be > 0");
    options = {};
    options.memory_mib = 0;
    EXPECT_EQ(problem(options), "memory_mib must be > 0");
}

TEST_F(RunOptionsTest, ALogCapMustHoldSomeOutputAndNeedsTheQemuBackend) {
    RunOptions options;
    options.log_max_size = 0;
    EXPECT_EQ(problem(options), "");
    options.log_max_size = 100;
    EXPECT_EQ(problem(options), "log_max_size: 100 bytes is less than the smallest cap (8 KiB, "
                                "or 0 for no cap)");
    options.log_max_size = 1 << 20;
    options.backend = BackendKind::libkrun;
    EXPECT_EQ(problem(options),
              "log_max_size: the libkrun backend cannot cap its logs yet (0 for no cap)");
}

TEST_F(RunOptionsTest, ADiskMustHoldAFileSystemOrBeNoCap) {
    RunOptions options;
    options.disk_size = 0;
    EXPECT_EQ(problem(options), "");
    options.disk_size = min_disk_size;
    EXPECT_EQ(problem(options), "");
    options.disk_size = 1 << 20;
    EXPECT_EQ(problem(options), "disk_size: 1048576 bytes is too small for a file system (at "
                                "least 32 MiB, or 0 for no cap)");
}

TEST_F(RunOptionsTest, DuplicateTagNamesTheSecondMount) {
    RunOptions options;
    options.mounts = {share("data", "/a"), share("data", "/b")};
    EXPECT_EQ(problem(options), "mounts[1].tag: duplicate tag \"data\"");
}

TEST_F(RunOptionsTest, TagsVirtioFsCannotCarryAreRefused) {
    for (std::string tag : {std::string(), std::string(37, 't'), std::string("a b"),
                            std::string("a/b"), std::string("caf\xc3\xa9")}) {
        RunOptions options;
        options.mounts = {share("ok", "/ok"), share(tag, "/x")};
        EXPECT_EQ(problem(options).rfind("mounts[1].tag: ", 0), 0u) << tag;
    }
    RunOptions options;
    options.mounts = {share(std::string(36, 't'), "/x")};
    EXPECT_EQ(problem(options), "");
}

TEST_F(RunOptionsTest, HostPathMustBeAnExistingDirectory) {
    RunOptions options;
    options.mounts = {share("a", "/a")};
    options.mounts[0].host_path = root() / "missing";
    EXPECT_EQ(problem(options),
              "mounts[0].host_path: directory not found: " + (root() / "missing").string());
    options.mounts[0].host_path = root() / "file";
    EXPECT_EQ(problem(options),
              "mounts[0].host_path: not a directory: " + (root() / "file").string());
    options.mounts[0].host_path.clear();
    EXPECT_EQ(problem(options), "mounts[0].host_path: must not be empty");
}

// The field is added to the cause as context: its errno survives.
TEST_F(RunOptionsTest, AFieldErrorKeepsTheErrnoOfItsCause) {
    std::filesystem::create_directory_symlink("loop", root() / "loop");
    RunOptions options;
    options.mounts = {share("a", "/a")};
    options.mounts[0].host_path = root() / "loop";
    auto result = validate(options);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().errno_value(), ELOOP);
    EXPECT_EQ(result.error().root(), "stat " + (root() / "loop").string());
    EXPECT_EQ(result.error().text(), "mounts[0].host_path: stat " + (root() / "loop").string() +
                                         ": Too many levels of symbolic links");
}

TEST_F(RunOptionsTest, GuestPathRules) {
    for (std::string guest :
         {"", "relative", "/", "//", "/proc", "/proc/x", "/sys/fs", "/dev", "/a/../b"}) {
        RunOptions options;
        options.mounts = {share("a", guest)};
        EXPECT_EQ(problem(options).rfind("mounts[0].guest_path: ", 0), 0u) << guest;
    }
    RunOptions options;
    options.mounts = {share("a", "/processes"), share("b", "/devices")};
    EXPECT_EQ(problem(options), "");
}

TEST_F(RunOptionsTest, DuplicateGuestPathIsFoundOnTheNormalForm) {
    RunOptions options;
    options.mounts = {share("a", "/data"), share("b", "//data/")};
    EXPECT_EQ(problem(options), "mounts[1].guest_path: duplicate guest path \"//data/\"");
}

TEST_F(RunOptionsTest, PortRules) {
    RunOptions options;
    options.ports = {{.host = 0, .guest = 80}};
    EXPECT_EQ(problem(options), "ports[0].host: port must be 1..65535");
    options.ports = {{.host = 80, .guest = 0}};
    EXPECT_EQ(problem(options), "ports[0].guest: port must be 1..65535");
    options.ports = {{.host = 80, .guest = 80}, {.host = 80, .guest = 81}};
    EXPECT_EQ(problem(options), "ports[1].host: host port 80/tcp is forwarded twice");
    options.ports = {{.host = 80, .guest = 80, .host_address = "localhost"}};
    EXPECT_EQ(problem(options),
              "ports[0].host_address: not an IPv4 or IPv6 address: \"localhost\"");
}

TEST_F(RunOptionsTest, EnvEntriesAreKeyValue) {
    RunOptions options;
    options.env = {"A=1", "NOEQUALS"};
    EXPECT_EQ(problem(options), "env[1]: \"NOEQUALS\" is not KEY=VALUE");
    options.env = {"=v"};
    EXPECT_EQ(problem(options), "env[0]: \"=v\" has an empty key");
}

TEST_F(RunOptionsTest, WorkdirAndRootfs) {
    RunOptions options;
    options.workdir = "rel";
    EXPECT_EQ(problem(options), "workdir: \"rel\" is not absolute");
    options = {};
    options.rootfs = root() / "missing";
    EXPECT_EQ(problem(options), "rootfs: directory not found: " + (root() / "missing").string());
    options = {};
    options.log_level = 6;
    EXPECT_EQ(problem(options), "log_level must be 0..5");
}

TEST_F(RunOptionsTest, ALoneMountNamesItsField) {
    auto mount = share("a b", "/x");
    auto result = validate(mount);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().text().rfind("tag: ", 0), 0u) << result.error().text();
    EXPECT_TRUE(validate(share("ok", "/x", true)));
}

} // namespace
} // namespace microvm
