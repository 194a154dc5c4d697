#include <gtest/gtest.h>

#include "runner/engine/qemu/virtiofsd_argv.hpp"

namespace microvm::runner::qemu {
namespace {

// Excerpts of the real --help texts.
constexpr char c_help[] = "usage: /usr/lib/qemu/virtiofsd [options]\n"
                          "    -o source=PATH             shared directory tree\n"
                          "    --socket-path=PATH         path for the vhost-user socket\n"
                          "    --fd=FDNUM                 fd number of vhost-user socket\n";
constexpr char rust_help_1_10[] = "Usage: virtiofsd [OPTIONS]\n"
                                  "      --shared-dir <shared-dir>\n"
                                  "      --fd <fd>\n";
constexpr char rust_help_1_13[] = "Usage: virtiofsd [OPTIONS]\n"
                                  "      --shared-dir <shared-dir>\n"
                                  "      --readonly  Whether the shared directory is read-only\n"
                                  "      --fd <fd>\n";

TEST(VirtiofsdHelp, TellsTheImplementationsApart) {
    auto c = parse_virtiofsd_help(c_help);
    EXPECT_EQ(c.flavor, VirtiofsdFlavor::c);
    EXPECT_FALSE(c.read_only);
    auto old_rust = parse_virtiofsd_help(rust_help_1_10);
    EXPECT_EQ(old_rust.flavor, VirtiofsdFlavor::rust);
    EXPECT_FALSE(old_rust.read_only);
    auto rust = parse_virtiofsd_help(rust_help_1_13);
    EXPECT_EQ(rust.flavor, VirtiofsdFlavor::rust);
    EXPECT_TRUE(rust.read_only);
}

TEST(VirtiofsdArgv, CDaemonTakesTheListeningSocketAndOptions) {
    VirtiofsdLaunch const launch{.binary = "/usr/lib/qemu/virtiofsd",
                                 .capabilities = {},
                                 .source = "/run/x/view-1",
                                 .listen_fd = 3,
                                 .cache = "auto",
                                 .read_only = false,
                                 .log_level = "warn"};
    EXPECT_EQ(
        virtiofsd_argv(launch),
        (std::vector<std::string>{"/usr/lib/qemu/virtiofsd", "--fd=3", "-o", "source=/run/x/view-1",
                                  "-o", "cache=auto", "-o", "log_level=warn", "-o", "xattr"}));
}

TEST(VirtiofsdArgv, DroppedCapabilitiesBecomeModcapsForBothDaemons) {
    VirtiofsdLaunch launch{.binary = "/v",
                           .capabilities = {},
                           .source = "/data",
                           .listen_fd = 3,
                           .cache = "auto",
                           .read_only = false,
                           .log_level = "warn",
                           .drop_capabilities = {"mknod", "setfcap", "fsetid"}};
    auto const c = virtiofsd_argv(launch);
    ASSERT_GE(c.size(), 2U);
    EXPECT_EQ(c[c.size() - 2], "-o");
    EXPECT_EQ(c.back(), "modcaps=-mknod:-setfcap:-fsetid");
    launch.capabilities.flavor = VirtiofsdFlavor::rust;
    EXPECT_EQ(virtiofsd_argv(launch).back(), "--modcaps=-mknod:-setfcap:-fsetid");
    launch.drop_capabilities = {};
    EXPECT_EQ(virtiofsd_argv(launch).back(), "--xattr");
}

TEST(VirtiofsdArgv, CDaemonSourceIsEscapedForItsOptionParser) {
    EXPECT_EQ(escape_fuse_option("/a,b\\c"), "/a\\,b\\\\c");
    VirtiofsdLaunch const launch{.binary = "/v",
                                 .capabilities = {},
                                 .source = "/data/x,y",
                                 .listen_fd = 3,
                                 .cache = "always",
                                 .read_only = false,
                                 .log_level = "err"};
    auto const argv = virtiofsd_argv(launch);
    EXPECT_EQ(argv[3], "source=/data/x\\,y");
    EXPECT_EQ(argv[5], "cache=always");
}

TEST(VirtiofsdArgv, RustDaemonUsesItsOwnFlagsAndReadonly) {
    VirtiofsdLaunch const launch{
        .binary = "/usr/libexec/virtiofsd",
        .capabilities = {.flavor = VirtiofsdFlavor::rust, .read_only = true},
        .source = "/data",
        .listen_fd = 3,
        .cache = "auto",
        .read_only = true,
        .log_level = "err"};
    EXPECT_EQ(
        virtiofsd_argv(launch),
        (std::vector<std::string>{"/usr/libexec/virtiofsd", "--fd=3", "--shared-dir=/data",
                                  "--cache=auto", "--log-level=error", "--xattr", "--readonly"}));
}

} // namespace
} // namespace microvm::runner::qemu
