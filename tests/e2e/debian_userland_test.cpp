// A real distribution's userland runs in the VM: Debian bookworm minbase (debootstrap) with bash,
// dpkg and its database, PAM and setuid-root binaries, on the same root view as every other run.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <sstream>
#include <string>

#include "vm_fixture.hpp"

namespace microvm::e2e {
namespace {

struct DebianRoot {
    std::filesystem::path path;
    std::string error; // why the tree could not be made; empty when it was
};

// The tree from scripts/make-debian-rootfs.sh, made once per binary and only when a test here
// runs (the first build on a machine debootstraps, a minute or two; later ones copy the cache).
DebianRoot const& debian_root() {
    static DebianRoot const root = [] {
        DebianRoot made{.path = fresh_dir("debian") / "root"};
        auto result = test::run_process(
            {"/bin/bash", std::string(MICROVM_SOURCE_DIR) + "/scripts/make-debian-rootfs.sh",
             made.path.string()});
        if (result.exit_code != 0) {
            made.error = "scripts/make-debian-rootfs.sh failed (exit " +
                         std::to_string(result.exit_code) + "): " + result.err;
        }
        return made;
    }();
    return root;
}

// Runs `microvm run --rootfs <debian> -- /bin/bash -c SCRIPT`.
test::ProcessResult run_bash(std::string const& script,
                             std::vector<std::string> const& extra = {}) {
    std::vector<std::string> args = {"run", "--rootfs", debian_root().path.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), {"--", "/bin/bash", "-c", script});
    return microvm(args);
}

// Each entry's type, mode, owner, size, symlink target and change times: a 175 MB tree is
// compared without reading it, and any write, chmod, chown or rename shows in ctime or mtime.
std::map<std::string, std::string> tree_metadata(std::filesystem::path const& dir) {
    std::map<std::string, std::string> entries;
    for (auto const& entry : std::filesystem::recursive_directory_iterator(dir)) {
        struct stat st {};
        if (::lstat(entry.path().c_str(), &st) != 0) {
            entries[entry.path().lexically_relative(dir).string()] = "lstat failed";
            continue;
        }
        std::ostringstream line;
        line << std::oct << st.st_mode << std::dec << " " << st.st_uid << ":" << st.st_gid << " "
             << st.st_size << " " << st.st_mtim.tv_sec << "." << st.st_mtim.tv_nsec << " "
             << st.st_ctim.tv_sec << "." << st.st_ctim.tv_nsec;
        if (S_ISLNK(st.st_mode)) {
            line << " -> " << std::filesystem::read_symlink(entry.path()).string();
        }
        entries[entry.path().lexically_relative(dir).string()] = line.str();
    }
    return entries;
}

// The entries that differ between two tree_metadata() results, at most `limit` of them.
std::string changed_entries(std::map<std::string, std::string> const& before,
                            std::map<std::string, std::string> const& after, int limit = 20) {
    std::string out;
    auto note = [&](std::string const& name, std::string const& was, std::string const& is) {
        if (limit-- > 0) {
            out += name + ": [" + was + "] -> [" + is + "]\n";
        }
    };
    for (auto const& [name, was] : before) {
        auto found = after.find(name);
        if (found == after.end()) {
            note(name, was, "removed");
        } else if (found->second != was) {
            note(name, was, found->second);
        }
    }
    for (auto const& [name, is] : after) {
        if (!before.contains(name)) {
            note(name, "absent", is);
        }
    }
    return out;
}

// What `passwd -S` prints for an account whose password is locked: the name, L, the date of the
// last change from /etc/shadow (days since 1970, printed as YYYY-MM-DD), min, max, warn, and -1
// for no inactivity period.
std::string locked_status_line(std::filesystem::path const& root, std::string const& user) {
    std::istringstream shadow(test::read_file(root / "etc/shadow"));
    std::string line;
    while (std::getline(shadow, line)) {
        std::istringstream fields(line);
        std::string name, password, last_change, min, max, warn;
        std::getline(fields, name, ':');
        if (name != user) {
            continue;
        }
        std::getline(fields, password, ':');
        std::getline(fields, last_change, ':');
        std::getline(fields, min, ':');
        std::getline(fields, max, ':');
        std::getline(fields, warn, ':');
        std::chrono::year_month_day date{
            std::chrono::sys_days{std::chrono::days{std::stoi(last_change)}}};
        char day[16];
        std::snprintf(day, sizeof day, "%04d-%02u-%02u", static_cast<int>(date.year()),
                      static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
        return user + " L " + day + " " + min + " " + max + " " + warn + " -1";
    }
    return "no " + user + " in /etc/shadow";
}

TEST(DebianUserland, BashRuns) {
    ASSERT_TRUE(debian_root().error.empty()) << debian_root().error;
    auto result = run_bash("echo $BASH_VERSION; [[ 1 -eq 1 ]] && echo ok");
    ASSERT_EQ(result.exit_code, 0) << result.err;
    auto const version = result.out.substr(0, result.out.find('\n'));
    EXPECT_TRUE(version.starts_with("5.2.")) << result.out;
    EXPECT_EQ(result.out, version + "\nok\n");
}

TEST(DebianUserland, DpkgReadsItsDatabaseAndEveryFileMatchesItsChecksum) {
    ASSERT_TRUE(debian_root().error.empty()) << debian_root().error;
    // `dpkg --verify` checks every installed file against the md5sums dpkg recorded, so it
    // proves the image's files reach the guest intact through the overlay and virtio-fs; it
    // prints nothing when they all match.
    auto result = run_bash("dpkg-query -W -f='${Status}\\n' bash coreutils; "
                           "dpkg -V coreutils && echo coreutils-verified; "
                           "dpkg --verify && echo all-verified");
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out, "install ok installed\ninstall ok installed\n"
                          "coreutils-verified\nall-verified\n");
}

TEST(DebianUserland, SetuidRootBinariesTakeEffectForAnUnprivilegedUser) {
    ASSERT_TRUE(debian_root().error.empty()) << debian_root().error;
    // `passwd -S` run by nobody reports nobody's status from /etc/shadow (root:shadow 0640),
    // which only a process with euid 0 can read: the setuid-root /usr/bin/passwd can, a copy
    // without the bit (same file system, same bytes) cannot and falls back to /etc/passwd's "x"
    // (status P). su, run by root, drops to nobody through PAM (pam_rootok). The same binary
    // cannot be installed setuid into a read-write share (privileged_files_test.cpp).
    auto const share = fresh_dir("debian-share");
    auto result = run_bash("cp /usr/bin/passwd /usr/local/bin/passwd-plain && "
                           "chmod u-s /usr/local/bin/passwd-plain && "
                           "su -s /bin/sh nobody -c 'id -un; id -u; passwd -S; "
                           "/usr/local/bin/passwd-plain -S'; "
                           "install -m 4755 /usr/bin/passwd /rw/passwd 2>/dev/null || "
                           "echo install-4755-refused",
                           {"-v", share.string() + ":/rw"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out, "nobody\n65534\n" + locked_status_line(debian_root().path, "nobody") +
                              "\nnobody P\ninstall-4755-refused\n");
    struct stat st {};
    if (::lstat((share / "passwd").c_str(), &st) == 0) {
        EXPECT_EQ(st.st_mode & (S_ISUID | S_ISGID), 0U) << std::oct << st.st_mode;
    }
}

TEST(DebianUserland, SuAuthenticatesThroughPamAndBecomesRoot) {
    ASSERT_TRUE(debian_root().error.empty()) << debian_root().error;
    // nobody gives root's password to su on stdin: the setuid-root su checks it with pam_unix
    // against /etc/shadow and runs the command as uid 0. The same su without its setuid bit
    // cannot read /etc/shadow nor change uid, so it must refuse. su's "Password: " prompt and
    // its refusal go to stderr, which the script keeps apart.
    auto result = run_bash(
        "echo root:e2e-Secret-1 | chpasswd && "
        "cp /usr/bin/su /usr/local/bin/su-plain && chmod u-s /usr/local/bin/su-plain && "
        "su -s /bin/sh nobody -c '"
        "echo e2e-Secret-1 | su -c \"id -u\" root 2>/tmp/su.err; echo \"su: $?\"; "
        "echo e2e-Secret-1 | /usr/local/bin/su-plain -c \"id -u\" root 2>/tmp/su-plain.err; "
        "echo \"su-plain: $?\"'; "
        "cat /tmp/su-plain.err >&2; grep -c \"Authentication failure\" /tmp/su-plain.err");
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out, "0\nsu: 0\nsu-plain: 1\n1\n") << result.err;
}

TEST(DebianUserland, DpkgWritesToTheRootAndTheSourceTreeIsUnchanged) {
    ASSERT_TRUE(debian_root().error.empty()) << debian_root().error;
    auto const& root = debian_root().path;
    auto const before = tree_metadata(root);
    // A package built and installed in the guest: dpkg takes its lock, unpacks, and rewrites
    // its status database, all in the VM's writable layer.
    auto result =
        run_bash("touch /var/lib/dpkg/test-write && echo written; "
                 "mkdir -p /tmp/pkg/DEBIAN /tmp/pkg/usr/share/microvm-e2e && "
                 "printf 'Package: microvm-e2e\\nVersion: 1.0\\nArchitecture: all\\n"
                 "Maintainer: e2e <e2e@localhost>\\nDescription: microvm e2e test package\\n' "
                 ">/tmp/pkg/DEBIAN/control && "
                 "echo hello >/tmp/pkg/usr/share/microvm-e2e/hello && "
                 "dpkg-deb --build /tmp/pkg /tmp/microvm-e2e.deb >/dev/null && "
                 "dpkg -i /tmp/microvm-e2e.deb >/dev/null && "
                 "dpkg-query -W -f='${Status} ${Version}\\n' microvm-e2e && "
                 "cat /usr/share/microvm-e2e/hello");
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out, "written\ninstall ok installed 1.0\nhello\n");

    EXPECT_FALSE(std::filesystem::exists(root / "var/lib/dpkg/test-write"));
    EXPECT_FALSE(std::filesystem::exists(root / "usr/share/microvm-e2e"));
    EXPECT_EQ(test::read_file(root / "var/lib/dpkg/status").find("microvm-e2e"), std::string::npos);
    EXPECT_EQ(changed_entries(before, tree_metadata(root)), "") << "the source tree changed";
}

} // namespace
} // namespace microvm::e2e
