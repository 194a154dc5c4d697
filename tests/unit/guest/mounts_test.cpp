#include <gtest/gtest.h>

#include <cerrno>

#include "fake_syscalls.hpp"
#include "guest/mounts.hpp"

namespace microvm::guest {
namespace {

using Calls = std::vector<std::string>;

TEST(EssentialMounts, TmpSizeDefaultsTo256MiB) {
    auto plan = essential_mounts(0);
    ASSERT_EQ(plan.size(), 7u);
    EXPECT_EQ(plan[5].target, "/tmp");
    EXPECT_EQ(plan[5].data, "size=256m");
    EXPECT_EQ(essential_mounts(1024)[5].data, "size=1024m");
}

TEST(MountEssentials, MountsTheTableUnderTheRootThenLinksDev) {
    test::FakeSyscalls sys;
    auto mounted = mount_essentials(sys, "/newroot", essential_mounts(64));
    ASSERT_TRUE(mounted) << mounted.error().text();
    EXPECT_EQ(sys.calls, (Calls{
                             "mkdir /newroot/proc 0755",
                             "mount proc /newroot/proc proc MS_NOSUID|MS_NODEV|MS_NOEXEC \"\"",
                             "mkdir /newroot/sys 0755",
                             "mount sysfs /newroot/sys sysfs MS_NOSUID|MS_NODEV|MS_NOEXEC \"\"",
                             "mkdir /newroot/dev 0755",
                             "mount devtmpfs /newroot/dev devtmpfs MS_NOSUID|MS_NOEXEC \"\"",
                             "mkdir /newroot/dev/pts 0755",
                             "mount devpts /newroot/dev/pts devpts MS_NOSUID|MS_NOEXEC "
                             "\"newinstance,ptmxmode=0666,mode=0620,gid=5\"",
                             "mkdir /newroot/dev/shm 0755",
                             "mount shm /newroot/dev/shm tmpfs MS_NOSUID|MS_NODEV \"mode=1777\"",
                             "mkdir /newroot/tmp 0755",
                             "mount tmpfs /newroot/tmp tmpfs MS_NOSUID|MS_NODEV \"size=64m\"",
                             "mkdir /newroot/run 0755",
                             "mount tmpfs /newroot/run tmpfs MS_NOSUID|MS_NODEV|MS_NOEXEC "
                             "\"size=64m,mode=0755\"",
                             "unlink /newroot/dev/ptmx",
                             "symlink /newroot/dev/ptmx -> pts/ptmx",
                             "symlink /newroot/dev/fd -> /proc/self/fd",
                             "symlink /newroot/dev/stdin -> /proc/self/fd/0",
                             "symlink /newroot/dev/stdout -> /proc/self/fd/1",
                             "symlink /newroot/dev/stderr -> /proc/self/fd/2",
                         }));
}

TEST(MountEssentials, AlreadyMountedIsFine) {
    test::FakeSyscalls sys;
    sys.fail("mount", EBUSY, 7);
    auto mounted = mount_essentials(sys, "", essential_mounts(0));
    EXPECT_TRUE(mounted) << mounted.error().text();
    EXPECT_EQ(sys.calls.size(), 7u * 2 + 6);
}

TEST(MountEssentials, ExistingDevLinksAreKept) {
    test::FakeSyscalls sys;
    sys.fail("symlink", 0); // the /dev/ptmx link is made afresh
    sys.fail("symlink", EEXIST, 4);
    auto mounted = mount_essentials(sys, "", essential_mounts(0));
    EXPECT_TRUE(mounted) << mounted.error().text();
}

TEST(MountEssentials, AMountFailureStopsAndIsReturned) {
    test::FakeSyscalls sys;
    sys.fail("mount", EPERM);
    auto mounted = mount_essentials(sys, "/newroot", essential_mounts(0));
    ASSERT_FALSE(mounted);
    EXPECT_EQ(sys.calls.size(), 2u);
    EXPECT_EQ(mounted.error().errno_value(), EPERM);
}

TEST(MountEssentials, AMountPointThatIsASymlinkStops) {
    test::FakeSyscalls sys;
    sys.fail("make_directories", ELOOP);
    EXPECT_FALSE(mount_essentials(sys, "/newroot", essential_mounts(0)));
    EXPECT_EQ(sys.calls, (Calls{"mkdir /newroot/proc 0755"}));
}

TEST(InitramfsMounts, DevComesFirstThenProcAndSys) {
    auto plan = initramfs_mounts();
    ASSERT_EQ(plan.size(), 3u);
    EXPECT_EQ(plan[0].target, "/dev");
    EXPECT_EQ(plan[1].target, "/proc");
    EXPECT_EQ(plan[2].target, "/sys");
}

TEST(SwitchRoot, MovesTheNewRootOntoSlashAndChrootsIntoIt) {
    test::FakeSyscalls sys;
    ASSERT_TRUE(switch_root(sys, "/newroot"));
    EXPECT_EQ(sys.calls,
              (Calls{"chdir /newroot", "mount . /  MS_MOVE \"\"", "chroot .", "chdir /"}));
}

TEST(SwitchRoot, AFailedMoveStopsBeforeChroot) {
    test::FakeSyscalls sys;
    sys.fail("mount", EINVAL);
    auto switched = switch_root(sys, "/newroot");
    ASSERT_FALSE(switched);
    EXPECT_EQ(sys.calls.size(), 2u);
    EXPECT_TRUE(switched.error().text().starts_with("switch root: "));
}

} // namespace
} // namespace microvm::guest
