#include <gtest/gtest.h>
#include <sys/stat.h>

#include "base/temp_dir.hpp"
#include "runner/engine/qemu/share_daemon.hpp"
#include "support/test_support.hpp"

namespace microvm::runner::qemu {
namespace {

// A stand-in daemon that prints a help text the way the Rust virtiofsd does (on stdout).
TEST(ShareDaemon, DetectsTheImplementationFromItsHelp) {
    auto dir = base::TempDir::create("microvm-share-daemon-test-");
    ASSERT_TRUE(dir);
    auto const fake = (dir->path() / "virtiofsd").string();
    test::write_file(fake, "#!/bin/sh\n"
                           "echo 'Usage: virtiofsd [OPTIONS]'\n"
                           "echo '      --shared-dir <shared-dir>'\n"
                           "echo '      --readonly' >&2\n");
    ::chmod(fake.c_str(), 0755);
    auto const capabilities = detect_virtiofsd(fake);
    ASSERT_TRUE(capabilities) << capabilities.error().text();
    EXPECT_EQ(capabilities->flavor, VirtiofsdFlavor::rust);
    EXPECT_TRUE(capabilities->read_only);
}

TEST(ShareDaemon, DetectsTheInstalledCDaemon) {
    if (::access("/usr/lib/qemu/virtiofsd", X_OK) != 0) {
        GTEST_SKIP() << "QEMU's virtiofsd is not installed";
    }
    auto const capabilities = detect_virtiofsd("/usr/lib/qemu/virtiofsd");
    ASSERT_TRUE(capabilities) << capabilities.error().text();
    EXPECT_EQ(capabilities->flavor, VirtiofsdFlavor::c);
    EXPECT_FALSE(capabilities->read_only);
}

// The socket exists and accepts a connection before the daemon has done anything.
TEST(ShareDaemon, StartsTheDaemonOnABoundSocket) {
    auto dir = base::TempDir::create("microvm-share-daemon-test-");
    ASSERT_TRUE(dir);
    auto const fake = (dir->path() / "daemon").string();
    auto const args = (dir->path() / "args").string();
    // Records its arguments and that it got the socket as descriptor 3, then waits.
    test::write_file(fake, "#!/bin/sh\n"
                           "echo \"$@\" > " +
                               args +
                               "\n"
                               "[ -S /proc/self/fd/3 ] || [ -e /proc/self/fd/3 ] && echo fd3 >> " +
                               args +
                               "\n"
                               "exec sleep 100\n");
    ::chmod(fake.c_str(), 0755);
    SharePlan const plan{.tag = "data",
                         .source = dir->path().string(),
                         .enforcement = HostEnforcement::none,
                         .cache = "auto",
                         .socket_path = (dir->path() / "vfs.sock").string(),
                         .view_dir = {},
                         .log_path = {}};
    auto daemon =
        start_share_daemon(plan, {.binary = fake, .capabilities = {}, .log_level = "warn"});
    ASSERT_TRUE(daemon) << daemon.error().text();
    EXPECT_EQ(daemon->tag, "data");
    EXPECT_TRUE(std::filesystem::is_socket(plan.socket_path));
    // Wait for the script to have written its record: it does so before exec'ing sleep.
    for (int i = 0; i < 1000 && test::read_file(args).find("fd3") == std::string::npos; ++i) {
        ::usleep(10'000);
    }
    EXPECT_EQ(test::read_file(args), "--fd=3 -o source=" + dir->path().string() +
                                         " -o cache=auto -o log_level=warn -o xattr\nfd3\n");
    daemon->child.kill_and_reap();
}

TEST(ShareDaemon, LogTailKeepsTheLastNonEmptyLines) {
    auto dir = base::TempDir::create("microvm-share-daemon-test-");
    ASSERT_TRUE(dir);
    auto const log = (dir->path() / "vfs.log").string();
    EXPECT_EQ(daemon_log_tail(log), "");
    EXPECT_EQ(daemon_log_tail(""), "");
    test::write_file(log, "one\ntwo\n\nthree\nfour\nfive\nsix\n");
    EXPECT_EQ(daemon_log_tail(log, 3), "four\nfive\nsix");
    EXPECT_EQ(daemon_log_tail(log, 10), "one\ntwo\nthree\nfour\nfive\nsix");
}

} // namespace
} // namespace microvm::runner::qemu
