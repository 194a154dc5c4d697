// Writing files into a VM's view: where they land in the merged tree, their attributes, and
// that nothing a hostile image or guest planted (in the image or in the writable layer) makes
// a write leave the VM's layer.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>
#include <optional>

#include "base/temp_dir.hpp"
#include "host/rootfs/inject.hpp"
#include "support/test_support.hpp"

namespace microvm::rootfs {
namespace {

namespace fs = std::filesystem;

struct stat stat_of(fs::path const& path) {
    struct stat st {};
    EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
    return st;
}

class Inject : public ::testing::Test {
protected:
    void SetUp() override {
        auto dir = base::TempDir::create("microvm-inject-");
        ASSERT_TRUE(dir);
        m_dir.emplace(std::move(*dir));
        for (auto const* name : {"lower", "upper", "work", "outside"}) {
            fs::create_directories(path(name));
            ::chmod(path(name).c_str(), 0755);
        }
        test::write_file(outside() / "secret", "host file\n");
        m_outside_before = test::snapshot(outside());
    }
    void TearDown() override {
        // Whatever a test did, the host directory the planted links point at is untouched.
        EXPECT_EQ(test::snapshot(outside()), m_outside_before);
    }

    fs::path path(char const* name) const { return m_dir->path() / name; }
    fs::path lower() const { return path("lower"); }
    fs::path upper() const { return path("upper"); }
    fs::path outside() const { return path("outside"); }
    RootfsView overlay() const {
        return {.source = lower(), .upper_dir = upper(), .work_dir = path("work")};
    }
    RootfsView copy() const { return {.source = lower(), .upper_dir = {}, .work_dir = {}}; }

    Result<void> write(RootfsView const& view, std::string const& guest_path,
                       Attributes attributes = {.mode = 0644}) {
        return inject_file(view, FileSpec{.guest_path = guest_path,
                                          .content = "injected\n",
                                          .attributes = attributes,
                                          .new_dirs = {.mode = 0755, .uid = 0, .gid = 0}});
    }

    std::optional<base::TempDir> m_dir;
    std::map<std::string, std::string> m_outside_before;
};

TEST_F(Inject, FileLandsInTheWritableLayerWithItsModeAndOwner) {
    auto const lower_before = test::snapshot(lower());
    auto result = write(overlay(), "/etc/motd", {.mode = 04751, .uid = 12, .gid = 34});
    ASSERT_TRUE(result) << result.error().text();
    EXPECT_EQ(test::read_file(upper() / "etc/motd"), "injected\n");
    auto const st = stat_of(upper() / "etc/motd");
    EXPECT_EQ(st.st_mode & 07777, 04751u); // the set-id bit survives the chown
    EXPECT_EQ(st.st_uid, 12u);
    EXPECT_EQ(st.st_gid, 34u);
    EXPECT_EQ(test::snapshot(lower()), lower_before);
}

TEST_F(Inject, ParentsTakeTheImagesModeAndOwnerOthersAreRoot0755) {
    fs::create_directories(lower() / "etc");
    ::chmod((lower() / "etc").c_str(), 0750);
    ASSERT_EQ(::chown((lower() / "etc").c_str(), 12, 34), 0);
    ASSERT_TRUE(write(overlay(), "/etc/app/conf"));
    auto const etc = stat_of(upper() / "etc");
    EXPECT_EQ(etc.st_mode & 07777, 0750u);
    EXPECT_EQ(etc.st_uid, 12u);
    EXPECT_EQ(etc.st_gid, 34u);
    auto const app = stat_of(upper() / "etc/app");
    EXPECT_EQ(app.st_mode & 07777, 0755u);
    EXPECT_EQ(app.st_uid, 0u);
}

TEST_F(Inject, FollowsTheImagesSymlinksAsTheGuestWould) {
    fs::create_directories(lower() / "usr/bin");
    fs::create_symlink("usr/bin", lower() / "bin");
    auto result = write(overlay(), "/bin/tool", {.mode = 0755});
    ASSERT_TRUE(result) << result.error().text();
    EXPECT_EQ(test::read_file(upper() / "usr/bin/tool"), "injected\n");
    // An upper bin directory would hide the image's /bin link, and all of /usr/bin with it.
    EXPECT_FALSE(fs::exists(fs::symlink_status(upper() / "bin")));
}

TEST_F(Inject, AbsoluteSymlinkToTheHostResolvesInsideTheRoot) {
    fs::create_symlink(outside(), lower() / "etc");
    auto result = write(overlay(), "/etc/secret");
    ASSERT_TRUE(result) << result.error().text();
    auto const inside = upper() / outside().relative_path() / "secret";
    EXPECT_EQ(test::read_file(inside), "injected\n");
}

TEST_F(Inject, DotDotSymlinksStopAtTheRoot) {
    fs::create_symlink("../../../../../../../../" + outside().relative_path().string(),
                       lower() / "up");
    auto result = write(overlay(), "/up/secret");
    ASSERT_TRUE(result) << result.error().text();
    EXPECT_EQ(test::read_file(upper() / outside().relative_path() / "secret"), "injected\n");
    ASSERT_TRUE(write(overlay(), "/../../../secret2"));
    EXPECT_EQ(test::read_file(upper() / "secret2"), "injected\n");
}

TEST_F(Inject, SymlinksTheGuestPlantedInTheWritableLayerStayInside) {
    fs::create_symlink(outside(), upper() / "etc");
    fs::create_directories(upper() / "var");
    fs::create_symlink(outside() / "secret", upper() / "var/leaf");
    ASSERT_TRUE(write(overlay(), "/etc/secret"));
    ASSERT_TRUE(write(overlay(), "/var/leaf"));
    EXPECT_EQ(test::read_file(upper() / outside().relative_path() / "secret"), "injected\n");
    // The leaf link is replaced by the file, never written through.
    EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(upper() / "var/leaf")));
}

TEST_F(Inject, ALeafSymlinkInTheImageIsHiddenNotFollowed) {
    fs::create_directories(lower() / "etc");
    fs::create_symlink(outside() / "secret", lower() / "etc/motd");
    ASSERT_TRUE(write(overlay(), "/etc/motd"));
    EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(upper() / "etc/motd")));
    EXPECT_TRUE(fs::is_symlink(fs::symlink_status(lower() / "etc/motd")));
}

TEST_F(Inject, SymlinkLoopsFail) {
    fs::create_symlink("b", lower() / "a");
    fs::create_symlink("a", lower() / "b");
    auto result = write(overlay(), "/a/file");
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().errno_value(), ELOOP) << result.error().text();
    EXPECT_TRUE(fs::is_empty(upper()));
}

TEST_F(Inject, AParentThatIsAFileFailsAndWritesNothing) {
    test::write_file(lower() / "etc", "not a directory");
    auto result = write(overlay(), "/etc/motd");
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().text().find("inject /etc/motd"), std::string::npos);
    EXPECT_NE(result.error().text().find("/etc is not a directory"), std::string::npos)
        << result.error().text();
    EXPECT_TRUE(fs::is_empty(upper()));
}

TEST_F(Inject, ALeafThatIsADirectoryFails) {
    fs::create_directories(upper() / "etc/motd");
    EXPECT_FALSE(write(overlay(), "/etc/motd"));
    EXPECT_FALSE(write(overlay(), "/"));
}

TEST_F(Inject, WhiteoutsAreHonoured) {
    ASSERT_EQ(::geteuid(), 0u) << "whiteouts are character devices: mknod needs root";
    // The guest deleted /opt (which the image has): the image's /opt/bin link is gone for it.
    fs::create_directories(lower() / "opt");
    fs::create_symlink(outside(), lower() / "opt/bin");
    ASSERT_EQ(::mknod((upper() / "opt").c_str(), S_IFCHR | 0000, makedev(0, 0)), 0);
    auto result = write(overlay(), "/opt/bin/tool");
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().text().find("deleted in the VM's writable layer"), std::string::npos)
        << result.error().text();
    // A deleted file is simply written again.
    fs::create_directories(upper() / "etc");
    ASSERT_EQ(::mknod((upper() / "etc/motd").c_str(), S_IFCHR | 0000, makedev(0, 0)), 0);
    ASSERT_TRUE(write(overlay(), "/etc/motd"));
    EXPECT_EQ(test::read_file(upper() / "etc/motd"), "injected\n");
}

TEST_F(Inject, AnOpaqueDirectoryHidesTheImagesLinks) {
    ASSERT_EQ(::geteuid(), 0u) << "trusted.* xattrs need root";
    fs::create_directories(lower() / "srv");
    fs::create_symlink("/elsewhere", lower() / "srv/data");
    fs::create_directories(upper() / "srv");
    ASSERT_EQ(::setxattr((upper() / "srv").c_str(), "trusted.overlay.opaque", "y", 1, 0), 0);
    ASSERT_TRUE(write(overlay(), "/srv/data/file"));
    EXPECT_EQ(test::read_file(upper() / "srv/data/file"), "injected\n");
    EXPECT_FALSE(fs::exists(upper() / "elsewhere"));
}

TEST_F(Inject, ACopyViewIsWrittenInPlace) {
    fs::create_directories(lower() / "usr/bin");
    fs::create_symlink("/usr/bin", lower() / "bin");
    fs::create_symlink(outside(), lower() / "host");
    ASSERT_TRUE(write(copy(), "/bin/tool"));
    ASSERT_TRUE(write(copy(), "/host/secret"));
    EXPECT_EQ(test::read_file(lower() / "usr/bin/tool"), "injected\n");
    EXPECT_EQ(test::read_file(lower() / outside().relative_path() / "secret"), "injected\n");
    EXPECT_TRUE(fs::is_empty(upper()));
}

TEST_F(Inject, HostFileIsCopied) {
    auto const host = path("outside-binary");
    test::write_file(host, "#!/bin/sh\necho hi\n");
    auto result = inject_host_file(overlay(), host, "/usr/local/bin/hi", {.mode = 0755});
    ASSERT_TRUE(result) << result.error().text();
    EXPECT_EQ(test::read_file(upper() / "usr/local/bin/hi"), "#!/bin/sh\necho hi\n");
    EXPECT_EQ(stat_of(upper() / "usr/local/bin/hi").st_mode & 07777, 0755u);
    auto missing = inject_host_file(overlay(), path("nope"), "/x", {.mode = 0755});
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().text().find(path("nope").string()), std::string::npos);
}

TEST_F(Inject, EnvFileFormat) {
    auto text = format_env_file({"A=1", "B=two words", "EMPTY="});
    ASSERT_TRUE(text) << text.error().text();
    EXPECT_EQ(*text, "A=1\nB=two words\nEMPTY=\n");
    EXPECT_FALSE(format_env_file({"NOEQUALS"}));
    EXPECT_FALSE(format_env_file({"=value"}));
    auto multi = format_env_file({"OK=1", "X=a\nINJECTED=1"});
    ASSERT_FALSE(multi);
    EXPECT_NE(multi.error().text().find("env[1]"), std::string::npos);
}

class AuthorizedKeys : public Inject {
protected:
    void SetUp() override {
        Inject::SetUp();
        fs::create_directories(lower() / "etc");
        test::write_file(lower() / "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
                                                 "alice:x:1000:1001::/home/alice:/bin/sh\n"
                                                 "nohome:x:1002:1002::"
                                                 ":/bin/sh\n");
    }
    void expect_keys_of(fs::path const& home, uid_t uid, gid_t gid) {
        auto const ssh = stat_of(home / ".ssh");
        EXPECT_TRUE(S_ISDIR(ssh.st_mode));
        EXPECT_EQ(ssh.st_mode & 07777, 0700u);
        EXPECT_EQ(ssh.st_uid, uid);
        EXPECT_EQ(ssh.st_gid, gid);
        auto const file = stat_of(home / ".ssh/authorized_keys");
        EXPECT_EQ(file.st_mode & 07777, 0600u);
        EXPECT_EQ(file.st_uid, uid);
        EXPECT_EQ(file.st_gid, gid);
        EXPECT_EQ(test::read_file(home / ".ssh/authorized_keys"),
                  "ssh-ed25519 AAAA key1\nssh-rsa BBBB key2\n");
    }
    std::vector<std::string> const keys = {"ssh-ed25519 AAAA key1", "ssh-rsa BBBB key2"};
};

TEST_F(AuthorizedKeys, WrittenForTheImagesUser) {
    fs::create_directories(lower() / "home/alice");
    ASSERT_EQ(::chown((lower() / "home/alice").c_str(), 1000, 1001), 0);
    ::chmod((lower() / "home/alice").c_str(), 0750);
    auto result = inject_authorized_keys(overlay(), "alice", keys);
    ASSERT_TRUE(result) << result.error().text();
    expect_keys_of(upper() / "home/alice", 1000, 1001);
    // The home the guest sees is still the image's.
    EXPECT_EQ(stat_of(upper() / "home/alice").st_mode & 07777, 0750u);
    EXPECT_EQ(stat_of(upper() / "home/alice").st_uid, 1000u);
}

TEST_F(AuthorizedKeys, AMissingHomeIsCreatedForTheUser) {
    ASSERT_TRUE(inject_authorized_keys(overlay(), "1000", keys));
    expect_keys_of(upper() / "home/alice", 1000, 1001);
    EXPECT_EQ(stat_of(upper() / "home/alice").st_uid, 1000u);
    EXPECT_EQ(stat_of(upper() / "home").st_uid, 0u);
    ASSERT_TRUE(inject_authorized_keys(copy(), "root", keys));
    expect_keys_of(lower() / "root", 0, 0);
}

TEST_F(AuthorizedKeys, ALinkedSshDirectoryIsReplacedNotFollowed) {
    fs::create_directories(lower() / "home/alice");
    fs::create_symlink(outside(), lower() / "home/alice/.ssh");
    ASSERT_TRUE(inject_authorized_keys(overlay(), "alice", keys));
    expect_keys_of(upper() / "home/alice", 1000, 1001);
    // The same in a root that is its own writable layer.
    ASSERT_TRUE(inject_authorized_keys(copy(), "alice", keys));
    expect_keys_of(lower() / "home/alice", 1000, 1001);
}

TEST_F(AuthorizedKeys, AHostileHomeStaysInsideTheRoot) {
    test::write_file(lower() / "etc/passwd",
                     "mallory:x:1000:1000::" + outside().string() + ":/bin/sh\n");
    fs::create_symlink(outside(), lower() / "home");
    ASSERT_TRUE(inject_authorized_keys(overlay(), "mallory", keys));
    expect_keys_of(upper() / outside().relative_path(), 1000, 1000);
}

TEST_F(AuthorizedKeys, Refusals) {
    auto unknown = inject_authorized_keys(overlay(), "bob", keys);
    ASSERT_FALSE(unknown);
    EXPECT_NE(unknown.error().text().find("\"bob\""), std::string::npos);
    auto homeless = inject_authorized_keys(overlay(), "nohome", keys);
    ASSERT_FALSE(homeless);
    EXPECT_NE(homeless.error().text().find("home directory"), std::string::npos);
    EXPECT_FALSE(inject_authorized_keys(overlay(), "alice", {"ssh-rsa AAAA\nssh-rsa BBBB"}));
    EXPECT_FALSE(inject_authorized_keys(overlay(), "alice", {""}));
    EXPECT_TRUE(fs::is_empty(upper()));
}

// What the guest will see: the injected files through a real overlay of the two layers.
TEST_F(Inject, TheMergedTreeShowsTheImageAndTheInjectedFiles) {
    ASSERT_EQ(::geteuid(), 0u) << "this test mounts an overlay and must run as root";
    fs::create_directories(lower() / "usr/bin");
    test::write_file(lower() / "usr/bin/sh", "image shell");
    fs::create_symlink("usr/bin", lower() / "bin");
    fs::create_directories(lower() / "etc");
    ::chmod((lower() / "etc").c_str(), 0751);
    test::write_file(lower() / "etc/hostname", "image");
    ASSERT_TRUE(write(overlay(), "/bin/tool", {.mode = 0755}));
    ASSERT_TRUE(write(overlay(), "/etc/motd"));
    auto const merged = path("merged");
    fs::create_directories(merged);

    pid_t const pid = ::fork();
    if (pid == 0) {
        if (::unshare(CLONE_NEWNS) != 0 ||
            ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
            ::_exit(100);
        }
        std::string const options = "lowerdir=" + lower().string() +
                                    ",upperdir=" + upper().string() +
                                    ",workdir=" + path("work").string();
        if (::mount("overlay", merged.c_str(), "overlay", 0, options.c_str()) != 0) {
            ::_exit(101);
        }
        struct stat etc {};
        bool const ok = test::read_file(merged / "bin/tool") == "injected\n" &&
                        test::read_file(merged / "bin/sh") == "image shell" &&
                        fs::is_symlink(fs::symlink_status(merged / "bin")) &&
                        test::read_file(merged / "etc/hostname") == "image" &&
                        test::read_file(merged / "etc/motd") == "injected\n" &&
                        ::stat((merged / "etc").c_str(), &etc) == 0 &&
                        (etc.st_mode & 07777) == 0751;
        ::_exit(ok ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

} // namespace
} // namespace microvm::rootfs
