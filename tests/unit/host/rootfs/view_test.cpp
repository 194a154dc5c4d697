#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "base/temp_dir.hpp"
#include "host/rootfs/view.hpp"
#include "support/test_support.hpp"

namespace microvm::rootfs {
namespace {

namespace fs = std::filesystem;

mode_t mode_of(fs::path const& path) {
    struct stat st {};
    EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
    return st.st_mode;
}

// Everything observable about a tree: type, mode, owner, size, contents, target, mtime.
std::map<std::string, std::string> snapshot(fs::path const& root) {
    std::map<std::string, std::string> out;
    for (auto const& entry : fs::recursive_directory_iterator(root)) {
        struct stat st {};
        ::lstat(entry.path().c_str(), &st);
        std::string facts = std::to_string(st.st_mode) + " " + std::to_string(st.st_uid) + ":" +
                            std::to_string(st.st_gid) + " " + std::to_string(st.st_size) + " " +
                            std::to_string(st.st_mtim.tv_sec) + "." +
                            std::to_string(st.st_mtim.tv_nsec);
        if (S_ISREG(st.st_mode)) {
            facts += " " + test::read_file(entry.path());
        } else if (S_ISLNK(st.st_mode)) {
            facts += " -> " + fs::read_symlink(entry.path()).string();
        }
        out[entry.path().lexically_relative(root).string()] = facts;
    }
    return out;
}

// Runs `body` in a forked child inside a private mount namespace, so its mounts vanish with
// it; returns the child's exit status (the step that failed), or -1 when it crashed.
int in_private_mount_namespace(std::function<int()> const& body) {
    pid_t pid = ::fork();
    if (pid == 0) {
        if (::unshare(CLONE_NEWNS) != 0) {
            ::_exit(100);
        }
        if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
            ::_exit(101);
        }
        ::_exit(body());
    }
    int status = 0;
    if (pid < 0 || ::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
        return -1;
    }
    return WEXITSTATUS(status);
}

// Runs `body` in a forked child (so changes to its credentials stay there); returns its exit
// status, or -1 when it crashed.
int in_child(std::function<int()> const& body) {
    pid_t pid = ::fork();
    if (pid == 0) {
        ::_exit(body());
    }
    int status = 0;
    if (pid < 0 || ::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
        return -1;
    }
    return WEXITSTATUS(status);
}

int mount_overlay(RootfsView const& view, fs::path const& target) {
    std::string options = "lowerdir=" + view.source.string() +
                          ",upperdir=" + view.upper_dir.string() +
                          ",workdir=" + view.work_dir.string();
    return ::mount("overlay", target.c_str(), "overlay", 0, options.c_str());
}

bool mounted_anywhere(fs::path const& path) {
    return test::read_file("/proc/self/mountinfo").find(" " + path.string() + " ") !=
           std::string::npos;
}

class CreateView : public ::testing::Test {
protected:
    void SetUp() override {
        auto dir = base::TempDir::create("microvm-view-test-");
        ASSERT_TRUE(dir);
        m_dir.emplace(std::move(*dir));
        fs::create_directories(source() / "bin");
        fs::create_directories(source() / "etc");
        test::write_file(source() / "bin/ls", "ls binary");
        test::write_file(source() / "etc/passwd", "root:x:0:0::/root:/bin/sh\n");
        fs::create_symlink("/etc/passwd", source() / "etc/link");
        ::chmod(source().c_str(), 0755);
        fs::create_directories(vm("a"));
        fs::create_directories(vm("b"));
    }
    fs::path source() const { return m_dir->path() / "source"; }
    fs::path vm(std::string const& name) const { return m_dir->path() / "vms" / name; }

    std::optional<base::TempDir> m_dir;
};

TEST_F(CreateView, CreatesUpperAndWorkBesideEachOther) {
    auto view = create_view(source(), vm("a"));
    ASSERT_TRUE(view) << view.error().text();
    EXPECT_EQ(view->source, source());
    EXPECT_EQ(view->upper_dir, vm("a") / "rootfs/upper");
    EXPECT_EQ(view->work_dir, vm("a") / "rootfs/work");
    EXPECT_EQ(mode_of(vm("a") / "rootfs") & 07777, 0700u);
    EXPECT_EQ(mode_of(view->work_dir) & 07777, 0700u);
    // The upper directory is the guest's "/", so it looks like the source's root.
    EXPECT_EQ(mode_of(view->upper_dir) & 07777, 0755u);
    EXPECT_TRUE(fs::is_empty(view->upper_dir));
}

TEST_F(CreateView, UpperTakesTheSourceRootMode) {
    ::chmod(source().c_str(), 0751);
    auto view = create_view(source(), vm("a"));
    ASSERT_TRUE(view) << view.error().text();
    EXPECT_EQ(mode_of(view->upper_dir) & 07777, 0751u);
}

TEST_F(CreateView, RelativeSourceBecomesAbsolute) {
    auto cwd = fs::current_path();
    fs::current_path(m_dir->path());
    auto view = create_view("source", vm("a"));
    fs::current_path(cwd);
    ASSERT_TRUE(view) << view.error().text();
    EXPECT_EQ(view->source, source());
}

TEST_F(CreateView, ExistingViewIsReusedWithItsWrites) {
    auto first = create_view(source(), vm("a"));
    ASSERT_TRUE(first);
    test::write_file(first->upper_dir / "kept", "x");
    auto second = create_view(source(), vm("a"));
    ASSERT_TRUE(second) << second.error().text();
    EXPECT_EQ(test::read_file(second->upper_dir / "kept"), "x");
}

TEST_F(CreateView, PlantedSymlinkIsRefused) {
    fs::create_directories(vm("a") / "rootfs");
    fs::create_directory_symlink(source(), vm("a") / "rootfs/upper");
    auto view = create_view(source(), vm("a"));
    ASSERT_FALSE(view);
    EXPECT_NE(view.error().text().find("is not a directory"), std::string::npos);
}

TEST_F(CreateView, SourceMustBeADirectory) {
    auto missing = create_view(m_dir->path() / "nothing", vm("a"));
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().text(), "rootfs view: stat " + (m_dir->path() / "nothing").string() +
                                          ": No such file or directory");
    auto file = create_view(source() / "bin/ls", vm("a"));
    ASSERT_FALSE(file);
    EXPECT_EQ(file.error().text(),
              "rootfs view: source is not a directory: " + (source() / "bin/ls").string());
}

TEST_F(CreateView, AutomaticIsAnOverlayWhereOneMounts) {
    ASSERT_EQ(::geteuid(), 0u) << "this test mounts an overlay and must run as root";
    fs::create_directories(m_dir->path() / "a,b:c");
    auto view = create_view(source(), m_dir->path() / "a,b:c");
    ASSERT_TRUE(view) << view.error().text();
    EXPECT_EQ(view->source, source());
    EXPECT_EQ(view->upper_dir, m_dir->path() / "a,b:c/rootfs/upper");
    EXPECT_FALSE(fs::exists(m_dir->path() / "a,b:c/rootfs/copy"));
}

TEST_F(CreateView, CopyIsAPrivateWritableRoot) {
    auto before = snapshot(source());
    auto view = create_view(source(), vm("a"), ViewStrategy::copy);
    ASSERT_TRUE(view) << view.error().text();
    EXPECT_EQ(view->source, vm("a") / "rootfs/copy");
    EXPECT_TRUE(view->upper_dir.empty());
    EXPECT_TRUE(view->work_dir.empty());
    EXPECT_EQ(snapshot(view->source), before);
    EXPECT_FALSE(fs::exists(vm("a") / "rootfs/copy.partial"));

    test::write_file(view->source / "etc/guest-created", "x");
    fs::remove(view->source / "bin/ls");
    EXPECT_EQ(snapshot(source()), before);
    // A restarted VM keeps its copy, with its writes.
    auto again = create_view(source(), vm("a"));
    ASSERT_TRUE(again) << again.error().text();
    EXPECT_EQ(again->source, view->source);
    EXPECT_TRUE(again->upper_dir.empty());
    EXPECT_EQ(test::read_file(again->source / "etc/guest-created"), "x");
}

// Without CAP_SYS_ADMIN no overlay can be mounted, so `automatic` falls back to a copy.
TEST_F(CreateView, AutomaticFallsBackToACopyWithoutMountPrivilege) {
    int step = in_child([&] {
        __user_cap_header_struct header{.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
        __user_cap_data_struct data[2] = {};
        if (::syscall(SYS_capget, &header, data) != 0) {
            return 1;
        }
        data[CAP_SYS_ADMIN / 32].effective &= ~(1u << (CAP_SYS_ADMIN % 32));
        data[CAP_SYS_ADMIN / 32].permitted &= ~(1u << (CAP_SYS_ADMIN % 32));
        if (::syscall(SYS_capset, &header, data) != 0) {
            return 2;
        }
        auto view = create_view(source(), vm("a"));
        if (!view) {
            return 3;
        }
        if (view->source != vm("a") / "rootfs/copy" || !view->upper_dir.empty()) {
            return 4;
        }
        if (fs::exists(vm("a") / "rootfs/upper") || fs::exists(vm("a") / "rootfs/work")) {
            return 5;
        }
        return 0;
    });
    EXPECT_EQ(step, 0);
    EXPECT_TRUE(fs::is_directory(vm("a") / "rootfs/copy/etc"));
}

// The guest's writes (create, modify, delete, chmod, mkdir) land in the VM's upper directory;
// the source tree stays byte for byte and stat for stat the same, and a second VM on the
// same source sees none of the first one's writes. Needs root (this machine and CI are).
TEST_F(CreateView, OverlayWritesNeverReachTheSource) {
    ASSERT_EQ(::geteuid(), 0u) << "this test mounts an overlay and must run as root";
    auto a = create_view(source(), vm("a"));
    auto b = create_view(source(), vm("b"));
    ASSERT_TRUE(a && b);
    auto before = snapshot(source());
    fs::path merged_a = m_dir->path() / "merged-a";
    fs::path merged_b = m_dir->path() / "merged-b";
    fs::create_directories(merged_a);
    fs::create_directories(merged_b);

    int step = in_private_mount_namespace([&] {
        if (mount_overlay(*a, merged_a) != 0 || mount_overlay(*b, merged_b) != 0) {
            return 1;
        }
        std::ofstream(merged_a / "etc/guest-created") << "from the guest";
        std::ofstream(merged_a / "etc/passwd", std::ios::app) << "guest:x:1000:1000::/:/bin/sh\n";
        std::error_code ec;
        if (!fs::remove(merged_a / "bin/ls", ec) || ec) {
            return 2;
        }
        if (::chmod((merged_a / "etc").c_str(), 0700) != 0 ||
            ::mkdir((merged_a / "newdir").c_str(), 0755) != 0) {
            return 3;
        }
        // VM b still sees the original tree.
        if (!fs::exists(merged_b / "bin/ls") || fs::exists(merged_b / "etc/guest-created") ||
            test::read_file(merged_b / "etc/passwd") != "root:x:0:0::/root:/bin/sh\n") {
            return 4;
        }
        return 0;
    });
    ASSERT_EQ(step, 0) << "step failed in the child (100/101: no private mount namespace)";

    EXPECT_EQ(snapshot(source()), before);
    EXPECT_FALSE(mounted_anywhere(merged_a)) << "overlay leaked out of the namespace";
    EXPECT_TRUE(fs::is_empty(merged_a));

    EXPECT_EQ(test::read_file(a->upper_dir / "etc/guest-created"), "from the guest");
    EXPECT_EQ(test::read_file(a->upper_dir / "etc/passwd"),
              "root:x:0:0::/root:/bin/sh\nguest:x:1000:1000::/:/bin/sh\n");
    struct stat whiteout {};
    ASSERT_EQ(::lstat((a->upper_dir / "bin/ls").c_str(), &whiteout), 0);
    EXPECT_TRUE(S_ISCHR(whiteout.st_mode) && whiteout.st_rdev == ::makedev(0, 0));
    EXPECT_TRUE(fs::is_directory(a->upper_dir / "newdir"));
    EXPECT_TRUE(fs::is_empty(b->upper_dir));
}

} // namespace
} // namespace microvm::rootfs
