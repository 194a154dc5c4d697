// The privilege filter on the real kernel: a stand-in daemon, started the way the engine starts
// virtiofsd, tries what a guest would ask of a read-write share's file server.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/temp_dir.hpp"
#include "runner/engine/qemu/privilege_filter.hpp"
#include "runner/engine/qemu/privilege_refusals.hpp"
#include "runner/engine/qemu/share_daemon.hpp"
#include "support/test_support.hpp"

namespace microvm::runner::qemu {
namespace {

// Each line: "<name> OK" or "<name> refused". Run by /bin/sh as the stand-in daemon, in the
// share's directory (its first argument after the script's own, see below).
constexpr char attempts[] = R"(
cd "$SHARE" || exit 99
try() { name=$1; shift; if "$@" 2>/dev/null; then echo "$name OK"; else echo "$name refused"; fi; }
grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status
try touch touch plain
try mknod-block mknod block b 8 0
try mknod-char mknod char c 1 3
try chmod-4755 chmod 4755 plain
try chmod-2755 chmod 2755 plain
try chmod-u+s chmod u+s plain
try install-4755 install -m 4755 /dev/null installed
try setfattr-capability setfattr -n security.capability -v 0x0100000200200000000000000000000000000000 plain
try setfattr-trusted setfattr -n trusted.x -v 1 plain
try setfattr-user setfattr -n user.x -v 1 plain
try mkfifo mkfifo fifo
try chmod-755 chmod 755 plain
try symlink ln -s plain link
try rename mv plain renamed
)";

struct Attempt {
    std::string output;
    std::filesystem::path share;
};

Attempt attempt_in_share(PrivilegeRules const& rules) {
    auto dir = base::TempDir::create("microvm-privilege-filter-test-");
    EXPECT_TRUE(dir);
    auto const share = dir->path() / "share";
    std::filesystem::create_directory(share);
    auto const script = dir->path() / "daemon";
    auto const output = dir->path() / "output";
    // The engine's argv comes first; the script ignores it.
    test::write_file(script, "#!/bin/sh\nSHARE=" + share.string() + "\n{\n" + attempts + "\n} > " +
                                 output.string() + " 2>&1\n");
    ::chmod(script.c_str(), 0755);
    SharePlan const plan{.tag = "data",
                         .source = share.string(),
                         .enforcement = HostEnforcement::none,
                         .cache = "auto",
                         .socket_path = (dir->path() / "vfs.sock").string(),
                         .view_dir = {},
                         .log_path = {},
                         .privileges = rules};
    auto daemon = start_share_daemon(plan, {.binary = script.string(), .log_level = "warn"});
    EXPECT_TRUE(daemon) << daemon.error().text();
    if (!daemon) {
        return {};
    }
    EXPECT_TRUE(daemon->privilege_filter && daemon->privilege_filter->listener.valid());
    std::vector<FilteredShare> filtered;
    if (daemon->privilege_filter) {
        filtered.push_back(std::move(*daemon->privilege_filter));
    }
    auto refusals = PrivilegeRefusals::start(std::move(filtered));
    EXPECT_TRUE(refusals) << refusals.error().text();
    auto const status = daemon->child.wait();
    EXPECT_TRUE(status && status->success());
    Attempt result{.output = test::read_file(output), .share = share};
    // The directory goes with `dir`; keep what the checks need.
    auto const kept = std::filesystem::temp_directory_path() /
                      ("microvm-privilege-filter-kept-" + std::to_string(::getpid()));
    std::filesystem::remove_all(kept);
    std::filesystem::rename(share, kept);
    result.share = kept;
    return result;
}

bool any_privileged_file(std::filesystem::path const& dir) {
    for (auto const& entry : std::filesystem::recursive_directory_iterator(dir)) {
        struct stat st {};
        if (::lstat(entry.path().c_str(), &st) != 0) {
            continue;
        }
        char value[64];
        bool const capability =
            ::lgetxattr(entry.path().c_str(), "security.capability", value, sizeof value) >= 0;
        if (S_ISBLK(st.st_mode) || S_ISCHR(st.st_mode) || (st.st_mode & (S_ISUID | S_ISGID)) ||
            capability) {
            return true;
        }
    }
    return false;
}

// What these tests need from the machine, which scripts/setup-deps.sh and the test run provide:
// root (mknod of devices, setting security.* attributes) and setfattr (the attr package).
void expect_root_and_setfattr() {
    ASSERT_EQ(::geteuid(), 0U) << "the privilege filter tests run as root (make test does)";
    ASSERT_EQ(::access("/usr/bin/setfattr", X_OK), 0)
        << "setfattr is missing: scripts/setup-deps.sh installs attr";
}

TEST(PrivilegeFilter, AReadWriteSharesDaemonRefusesPrivilegedFilesAndKeepsTheRest) {
    ASSERT_NO_FATAL_FAILURE(expect_root_and_setfattr());
    auto const attempt = attempt_in_share({});
    EXPECT_NE(attempt.output.find("NoNewPrivs:\t1"), std::string::npos) << attempt.output;
    EXPECT_NE(attempt.output.find("Seccomp:\t2"), std::string::npos) << attempt.output;
    for (char const* refused :
         {"mknod-block", "mknod-char", "chmod-4755", "chmod-2755", "chmod-u+s", "install-4755",
          "setfattr-capability", "setfattr-trusted"}) {
        EXPECT_NE(attempt.output.find(std::string(refused) + " refused"), std::string::npos)
            << refused << "\n"
            << attempt.output;
    }
    for (char const* allowed :
         {"touch", "setfattr-user", "mkfifo", "chmod-755", "symlink", "rename"}) {
        EXPECT_NE(attempt.output.find(std::string(allowed) + " OK"), std::string::npos)
            << allowed << "\n"
            << attempt.output;
    }
    EXPECT_FALSE(any_privileged_file(attempt.share));
    std::filesystem::remove_all(attempt.share);
}

TEST(PrivilegeFilter, TheOptInsLetThemThrough) {
    ASSERT_NO_FATAL_FAILURE(expect_root_and_setfattr());
    auto const attempt = attempt_in_share({.allow_setuid = true, .allow_devices = true});
    // Still filtered: LSM labels and trusted.* stay refused on an opted-in share.
    EXPECT_NE(attempt.output.find("Seccomp:\t2"), std::string::npos) << attempt.output;
    EXPECT_NE(attempt.output.find("setfattr-trusted refused"), std::string::npos) << attempt.output;
    for (char const* allowed :
         {"mknod-block", "chmod-4755", "install-4755", "setfattr-capability"}) {
        EXPECT_NE(attempt.output.find(std::string(allowed) + " OK"), std::string::npos)
            << allowed << "\n"
            << attempt.output;
    }
    EXPECT_TRUE(any_privileged_file(attempt.share));
    std::filesystem::remove_all(attempt.share);
}

TEST(PrivilegeFilter, OneOptInLiftsOnlyItsOwnRefusals) {
    ASSERT_NO_FATAL_FAILURE(expect_root_and_setfattr());
    auto const attempt = attempt_in_share({.allow_setuid = false, .allow_devices = true});
    EXPECT_NE(attempt.output.find("mknod-block OK"), std::string::npos) << attempt.output;
    EXPECT_NE(attempt.output.find("chmod-4755 refused"), std::string::npos) << attempt.output;
    std::filesystem::remove_all(attempt.share);
}

TEST(PrivilegeFilter, NamesWhatItRefused) {
    seccomp_data call{};
    call.nr = SYS_fchmodat;
    call.args[2] = 04755;
    EXPECT_EQ(refused_kind(call), "a setuid or setgid mode");
    call.nr = SYS_mknodat;
    call.args[2] = S_IFBLK | 0600;
    EXPECT_EQ(refused_kind(call), "a device node");
    call.nr = SYS_openat;
    call.args[3] = 02755;
    EXPECT_EQ(refused_kind(call), "a setuid or setgid mode");
    call.nr = SYS_renameat2;
    call.args[4] = RENAME_WHITEOUT;
    EXPECT_EQ(refused_kind(call), "a device node (a rename's whiteout)");
    call.nr = SYS_fsetxattr;
    EXPECT_EQ(refused_kind(call), "");
}

TEST(PrivilegeFilter, RefusesPrivilegedXattrNamesAndOnlyCapabilitiesWithSuid) {
    PrivilegeRules const plain{};
    PrivilegeRules const suid{.allow_setuid = true};
    EXPECT_TRUE(refuses_xattr("security.capability", plain));
    EXPECT_FALSE(refuses_xattr("security.capability", suid));
    for (auto const* name : {"security.selinux", "security.ima", "trusted.overlay.opaque"}) {
        EXPECT_TRUE(refuses_xattr(name, plain)) << name;
        EXPECT_TRUE(refuses_xattr(name, suid)) << name;
    }
    EXPECT_FALSE(refuses_xattr("user.mime_type", plain));
    EXPECT_FALSE(refuses_xattr("system.posix_acl_access", plain));
}

} // namespace
} // namespace microvm::runner::qemu
