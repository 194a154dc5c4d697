// Rootfs hooks: order, what they are given, errors naming the hook; the VmRootfs helpers write
// into the writable layer only.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <optional>

#include "base/temp_dir.hpp"
#include "host/rootfs/hooks.hpp"
#include "support/test_support.hpp"

namespace microvm::rootfs {
namespace {

namespace fs = std::filesystem;

class RootfsHooks : public ::testing::Test {
protected:
    void SetUp() override {
        auto dir = base::TempDir::create("microvm-hooks-");
        ASSERT_TRUE(dir);
        m_dir.emplace(std::move(*dir));
        fs::create_directories(lower() / "etc");
        test::write_file(lower() / "etc/passwd", "root:x:0:0::/root:/bin/sh\n");
        fs::create_directories(upper());
    }
    fs::path lower() const { return m_dir->path() / "lower"; }
    fs::path upper() const { return m_dir->path() / "upper"; }
    RootfsView view() const {
        return {.source = lower(), .upper_dir = upper(), .work_dir = m_dir->path() / "work"};
    }
    std::optional<base::TempDir> m_dir;
};

TEST_F(RootfsHooks, RunInOrderWithTheWorkloadAndWriteIntoTheWritableLayer) {
    auto const lower_before = test::snapshot(lower());
    std::vector<std::string> order;
    std::vector<RootfsHook> hooks = {
        {"first",
         [&](VmRootfs& rootfs) -> Result<void> {
             order.push_back("first");
             EXPECT_EQ(rootfs.source(), lower());
             EXPECT_EQ(rootfs.writable_dir(), upper());
             EXPECT_TRUE(rootfs.workload().has_value());
             EXPECT_EQ(rootfs.workload()->argv, (std::vector<std::string>{"/app", "--serve"}));
             EXPECT_EQ(rootfs.workload()->uid, 7u);
             return rootfs.inject_file({.guest_path = "/etc/motd", .content = "hello\n"});
         }},
        {"second",
         [&](VmRootfs& rootfs) -> Result<void> {
             order.push_back("second");
             TRY(rootfs.inject_env_file("/etc/app.env", {"A=1", "B=2"}));
             return rootfs.inject_authorized_keys("root", {"ssh-ed25519 AAAA me"});
         }},
    };
    image::Workload workload{
        .argv = {"/app", "--serve"}, .env = {}, .cwd = "/", .uid = 7, .gid = 8};
    auto result = run_rootfs_hooks(hooks, view(), workload);
    ASSERT_TRUE(result) << result.error().text();
    EXPECT_EQ(order, (std::vector<std::string>{"first", "second"}));
    EXPECT_EQ(test::read_file(upper() / "etc/motd"), "hello\n");
    EXPECT_EQ(test::read_file(upper() / "etc/app.env"), "A=1\nB=2\n");
    struct stat st {};
    ASSERT_EQ(::stat((upper() / "etc/app.env").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u);
    EXPECT_EQ(test::read_file(upper() / "root/.ssh/authorized_keys"), "ssh-ed25519 AAAA me\n");
    EXPECT_EQ(test::snapshot(lower()), lower_before);
}

TEST_F(RootfsHooks, TheFirstFailureStopsAndNamesTheHook) {
    bool later_ran = false;
    std::vector<RootfsHook> hooks = {
        {"breaks",
         [](VmRootfs&) -> Result<void> {
             return fail("no licence key");
         }},
        {"later",
         [&](VmRootfs&) -> Result<void> {
             later_ran = true;
             return {};
         }},
    };
    auto result = run_rootfs_hooks(hooks, view(), std::nullopt);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().text(), "rootfs hook \"breaks\": no licence key");
    EXPECT_FALSE(later_ran);
}

TEST_F(RootfsHooks, ARootfsVmHasNoImageWorkload) {
    std::vector<RootfsHook> hooks = {{"look", [](VmRootfs& rootfs) -> Result<void> {
                                          EXPECT_FALSE(rootfs.workload().has_value());
                                          return {};
                                      }}};
    EXPECT_TRUE(run_rootfs_hooks(hooks, view(), std::nullopt));
    std::vector<RootfsHook> empty = {{"empty", nullptr}};
    auto result = run_rootfs_hooks(empty, view(), std::nullopt);
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().text().find("\"empty\""), std::string::npos);
}

TEST_F(RootfsHooks, HelperErrorsReachTheCaller) {
    fs::create_symlink("b", lower() / "a");
    fs::create_symlink("a", lower() / "b");
    VmRootfs rootfs(lower(), upper(), std::nullopt);
    auto loop = rootfs.inject_file({.guest_path = "/a/x", .content = ""});
    ASSERT_FALSE(loop);
    EXPECT_NE(loop.error().text().find("inject /a/x"), std::string::npos);
    auto env = rootfs.inject_env_file("/etc/env", {"BAD"});
    ASSERT_FALSE(env);
    EXPECT_NE(env.error().text().find("inject /etc/env"), std::string::npos);
    EXPECT_TRUE(fs::is_empty(upper()));
}

} // namespace
} // namespace microvm::rootfs
