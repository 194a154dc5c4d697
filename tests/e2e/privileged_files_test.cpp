// What a root guest writes into a read-write share is data, never privilege on the host: no
// device node, no setuid/setgid file, no file capability lands in the host directory unless the
// share opted in (suid, dev). The VM's own root keeps full semantics.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <nlohmann/json.hpp>

#include "vm_fixture.hpp"

namespace microvm::e2e {
namespace {

constexpr char const* refused_ops[] = {
    "mknod-block",         "mknod-char",       "chmod-4755",       "chmod-2755",
    "fchmodat-u+s",        "open-creat-4755",  "open-creat-2755",  "mknod-reg-4755",
    "setxattr-capability", "setxattr-trusted", "setxattr-security"};
constexpr char const* working_ops[] = {"write",   "mkfifo", "chmod-755",    "chmod-1777",
                                       "symlink", "rename", "setxattr-user"};

// The probe's verdict for `op`: "OK", an errno name, or "missing".
std::string verdict(std::string const& output, std::string const& op) {
    auto const at = output.find("\n" + op + " ");
    if (at == std::string::npos) {
        return "missing";
    }
    auto const start = at + op.size() + 2;
    return output.substr(start, output.find('\n', start) - start);
}

// Every file below `dir` that would carry privilege on the host, one per line.
std::string privileged_files(std::filesystem::path const& dir) {
    std::string found;
    for (auto const& entry : std::filesystem::recursive_directory_iterator(dir)) {
        struct stat st {};
        if (::lstat(entry.path().c_str(), &st) != 0) {
            continue;
        }
        char value[64];
        if (S_ISBLK(st.st_mode) || S_ISCHR(st.st_mode)) {
            found += entry.path().filename().string() + ": device\n";
        }
        if (S_ISREG(st.st_mode) && (st.st_mode & (S_ISUID | S_ISGID)) != 0) {
            found += entry.path().filename().string() + ": setuid/setgid\n";
        }
        if (::lgetxattr(entry.path().c_str(), "security.capability", value, sizeof value) >= 0) {
            found += entry.path().filename().string() + ": capability\n";
        }
    }
    return found;
}

// Runs SCRIPT in a detached VM named NAME and waits for it to end; returns its output.
std::string run_detached(std::string const& name, std::string const& script,
                         std::vector<std::string> const& extra) {
    std::vector<std::string> args = {"run", "-d", "--name", name};
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), {"--rootfs", world().rootfs.string(), "--", "sh", "-c", script});
    auto const started = microvm(args);
    EXPECT_EQ(started.exit_code, 0) << started.err;
    auto const logs = microvm({"logs", "-f", name});
    EXPECT_EQ(logs.exit_code, 0) << logs.err;
    return "\n" + logs.out;
}

TEST(PrivilegedFiles, AReadWriteShareRefusesThemAndTheVmsOwnRootKeepsThem) {
    auto const share = fresh_dir("privileged-share");
    // As root in the guest: the probe's attempts on the share, then the same kind of files in
    // the VM's own root, which must work. (`install -m 4755`: debian_userland_test.cpp, as
    // busybox has no install.)
    auto const output = run_detached("e2e-privileged",
                                     "probe privileged /rw; "
                                     "grep ' /rw ' /proc/mounts; "
                                     "mknod /root-block b 8 0 && cp /bin/busybox /root-suid && "
                                     "chmod 4755 /root-suid && ls -l /root-block /root-suid",
                                     {"-v", share.string() + ":/rw"});
    for (char const* op : refused_ops) {
        EXPECT_EQ(verdict(output, op), "EPERM") << op << "\n" << output;
    }
    EXPECT_EQ(verdict(output, "link-outside"), "EXDEV") << output;
    for (char const* op : working_ops) {
        EXPECT_EQ(verdict(output, op), "OK") << op << "\n" << output;
    }
    EXPECT_NE(output.find("virtiofs rw,nosuid,nodev"), std::string::npos) << output;
    EXPECT_NE(output.find("brw-"), std::string::npos) << "a device node in the VM's root\n"
                                                      << output;
    EXPECT_NE(output.find("-rwsr-xr-x"), std::string::npos) << "setuid in the VM's root\n"
                                                            << output;

    EXPECT_EQ(privileged_files(share), "");
    EXPECT_TRUE(std::filesystem::is_fifo(share / "fifo"));
    EXPECT_TRUE(std::filesystem::exists(share / "renamed"));

    // Said once per kind in the runner's log.
    auto const log = test::read_file(world().data_dir / "vms/e2e-privileged/runner.log");
    for (char const* kind : {"a device node", "a setuid or setgid mode",
                             "the extended attribute \"security.capability\""}) {
        std::string const line = "share \"rw\": refused " + std::string(kind);
        EXPECT_NE(log.find(line), std::string::npos) << kind << "\n" << log;
    }
    EXPECT_EQ(log.find("refused", log.find("extended attribute") + 1), std::string::npos)
        << "an xattr refusal logged twice:\n"
        << log;

    auto const inspected = microvm({"inspect", "e2e-privileged"});
    ASSERT_EQ(inspected.exit_code, 0) << inspected.err;
    auto const mount = nlohmann::json::parse(inspected.out)[0]["mounts"][0];
    EXPECT_EQ(mount["allow_setuid"], false);
    EXPECT_EQ(mount["allow_devices"], false);
    EXPECT_EQ(microvm({"rm", "e2e-privileged"}).exit_code, 0);
}

TEST(PrivilegedFiles, TheShareOptInsLetThemThrough) {
    auto const share = fresh_dir("privileged-opt-in");
    auto const output =
        run_detached("e2e-privileged-opt-in", "probe privileged /rw; grep ' /rw ' /proc/mounts",
                     {"-v", share.string() + ":/rw:rw,suid,dev"});
    for (char const* op : {"mknod-block", "mknod-char", "rename-whiteout", "chmod-4755",
                           "open-creat-4755", "mknod-reg-4755", "setxattr-capability"}) {
        EXPECT_EQ(verdict(output, op), "OK") << op << "\n" << output;
    }
    // virtiofsd never holds CAP_SYS_ADMIN, which trusted.* and other security.* names need.
    EXPECT_EQ(verdict(output, "setxattr-trusted"), "EPERM") << output;
    EXPECT_NE(output.find("rw /rw virtiofs rw,relatime"), std::string::npos)
        << "the guest mounts an opted-in share without nosuid,nodev\n"
        << output;
    auto const found = privileged_files(share);
    EXPECT_NE(found.find("block: device"), std::string::npos) << found;
    EXPECT_NE(found.find("created-setuid: setuid/setgid"), std::string::npos) << found;

    auto const inspected = microvm({"inspect", "e2e-privileged-opt-in"});
    ASSERT_EQ(inspected.exit_code, 0) << inspected.err;
    auto const mount = nlohmann::json::parse(inspected.out)[0]["mounts"][0];
    EXPECT_EQ(mount["allow_setuid"], true);
    EXPECT_EQ(mount["allow_devices"], true);
    auto const listed = microvm({"ps", "-a"});
    EXPECT_NE(listed.out.find(share.string() + ":/rw:suid,dev"), std::string::npos) << listed.out;
    EXPECT_EQ(microvm({"rm", "e2e-privileged-opt-in"}).exit_code, 0);
}

} // namespace
} // namespace microvm::e2e
