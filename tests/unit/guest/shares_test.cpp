#include <gtest/gtest.h>

#include <cerrno>

#include "fake_syscalls.hpp"
#include "guest/shares.hpp"

namespace microvm::guest {
namespace {

using Calls = std::vector<std::string>;

contract::GuestMount share(bool read_only) {
    return {.tag = "data", .guest_path = "/data", .read_only = read_only};
}

TEST(MountShare, ReadOnlyShareIsMountedReadOnlyAndNeverChowned) {
    test::FakeSyscalls sys;
    auto mounted = mount_share(sys, share(true), "/newroot", {.uid = 1000, .gid = 1000});
    ASSERT_TRUE(mounted) << mounted.error().text();
    EXPECT_EQ(sys.calls,
              (Calls{"mkdir /newroot/data 0755",
                     "mount data /newroot/data virtiofs MS_RDONLY|MS_NOSUID|MS_NODEV \"\""}));
}

TEST(MountShare, ReadWriteShareIsChownedToTheConfiguredOwner) {
    test::FakeSyscalls sys;
    auto mounted = mount_share(sys, share(false), "/newroot", {.uid = 1000, .gid = 1001});
    ASSERT_TRUE(mounted) << mounted.error().text();
    EXPECT_EQ(sys.calls, (Calls{"mkdir /newroot/data 0755",
                                "mount data /newroot/data virtiofs MS_NOSUID|MS_NODEV \"\"",
                                "chown /newroot/data 1000:1001"}));
}

TEST(MountShare, ReadWriteShareWithoutOwnerIsNotChowned) {
    test::FakeSyscalls sys;
    ASSERT_TRUE(mount_share(sys, share(false), "/newroot", {}));
    EXPECT_EQ(sys.calls.size(), 2u);
}

TEST(MountShare, OnlyTheConfiguredIdIsChanged) {
    test::FakeSyscalls sys;
    ASSERT_TRUE(mount_share(sys, share(false), "/newroot", {.uid = 1000, .gid = std::nullopt}));
    EXPECT_EQ(sys.calls.back(), "chown /newroot/data 1000:-1");
}

TEST(MountShare, FailedChownUnmountsAndReports) {
    test::FakeSyscalls sys;
    sys.fail("chown", EPERM);
    auto mounted = mount_share(sys, share(false), "/newroot", {.uid = 1000, .gid = 1000});
    ASSERT_FALSE(mounted);
    EXPECT_EQ(sys.calls, (Calls{"mkdir /newroot/data 0755",
                                "mount data /newroot/data virtiofs MS_NOSUID|MS_NODEV \"\"",
                                "chown /newroot/data 1000:1000", "umount2 /newroot/data 0"}));
    EXPECT_EQ(mounted.error().text(), "chown virtiofs tag \"data\" on /data: chown (fake): "
                                      "Operation not permitted");
}

TEST(MountShare, FailedUnmountAfterFailedChownIsReportedToo) {
    test::FakeSyscalls sys;
    sys.fail("chown", EPERM);
    sys.fail("umount2", EBUSY);
    auto mounted = mount_share(sys, share(false), "/newroot", {.uid = 1000, .gid = 1000});
    ASSERT_FALSE(mounted);
    EXPECT_EQ(mounted.error().text(), "chown virtiofs tag \"data\" on /data: chown (fake): "
                                      "Operation not permitted; unmounting it again failed too: "
                                      "umount2 (fake): Device or resource busy");
    // The chown is the cause, and keeps its errno.
    EXPECT_EQ(mounted.error().errno_value(), EPERM);
}

TEST(MountShare, RetriesWithADelayUntilTheMountWorks) {
    test::FakeSyscalls sys;
    sys.fail("mount", ENOENT, 2);
    auto mounted = mount_share(sys, share(true), "/newroot", {}, {.attempts = 5, .delay = {}});
    ASSERT_TRUE(mounted) << mounted.error().text();
    std::string const mount = "mount data /newroot/data virtiofs MS_RDONLY|MS_NOSUID|MS_NODEV \"\"";
    EXPECT_EQ(sys.calls,
              (Calls{"mkdir /newroot/data 0755", mount, "sleep 0ms", mount, "sleep 0ms", mount}));
}

TEST(MountShare, DefaultPolicyIsFiveAttemptsHalfASecondApart) {
    test::FakeSyscalls sys;
    sys.fail("mount", ENODEV, 5);
    auto mounted = mount_share(sys, share(false), "/newroot", {.uid = 1000, .gid = 1000});
    ASSERT_FALSE(mounted);
    int mounts = 0;
    int sleeps = 0;
    for (auto const& call : sys.calls) {
        mounts += call.starts_with("mount ");
        sleeps += call == "sleep 500ms";
        EXPECT_FALSE(call.starts_with("chown")) << "no chown after a failed mount";
    }
    EXPECT_EQ(mounts, 5);
    EXPECT_EQ(sleeps, 4);
    EXPECT_EQ(mounted.error().text(),
              "mounting virtiofs tag \"data\" on /data after 5 attempts: mount (fake): "
              "No such device");
}

TEST(MountShare, MountPointThatCannotBeMadeIsReported) {
    test::FakeSyscalls sys;
    sys.fail("make_directories", ELOOP);
    auto mounted = mount_share(sys, share(true), "/newroot", {});
    ASSERT_FALSE(mounted);
    EXPECT_EQ(sys.calls, (Calls{"mkdir /newroot/data 0755"}));
    EXPECT_EQ(mounted.error().text(),
              "mount virtiofs tag \"data\" on /data: make_directories (fake): Too many levels "
              "of symbolic links");
}

TEST(MountShare, GuestPathMustBeAbsoluteAndNotTheRoot) {
    for (std::string path : {"", "data", "/", "//"}) {
        test::FakeSyscalls sys;
        auto mounted = mount_share(sys, {.tag = "data", .guest_path = path, .read_only = true},
                                   "/newroot", {});
        ASSERT_FALSE(mounted) << path;
        EXPECT_TRUE(sys.calls.empty()) << path;
        EXPECT_NE(mounted.error().text().find("must be absolute and not /"), std::string::npos);
    }
}

TEST(MountRootShare, MountsTheRootTagWithoutRestrictions) {
    test::FakeSyscalls sys;
    ASSERT_TRUE(mount_root_share(sys, "/newroot"));
    EXPECT_EQ(sys.calls,
              (Calls{"mkdir /newroot 0755", "mount microvm-root /newroot virtiofs 0 \"\""}));
}

TEST(MountRootShare, ErrorNamesTheTagAndTheAttempts) {
    test::FakeSyscalls sys;
    sys.fail("mount", ENOENT, 3);
    auto mounted = mount_root_share(sys, "/newroot", {.attempts = 3, .delay = {}});
    ASSERT_FALSE(mounted);
    EXPECT_EQ(mounted.error().text(),
              "mounting the root share (virtiofs tag \"microvm-root\" on /newroot) after 3 "
              "attempts: mount (fake): No such file or directory");
}

} // namespace
} // namespace microvm::guest
