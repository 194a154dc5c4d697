#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <set>
#include <string>

#include "base/temp_dir.hpp"
#include "contract/guest_config.hpp"
#include "host/rootfs/guest_config_injection.hpp"
#include "host/rootfs/view.hpp"
#include "support/test_support.hpp"

namespace microvm::rootfs {
namespace {

namespace fs = std::filesystem;

contract::GuestConfig sample_config() {
    contract::GuestConfig config;
    config.virtiofs_mounts = {{.tag = "src", .guest_path = "/src", .read_only = true}};
    config.argv = {"/bin/sh", "-c", "true"};
    config.hostname = "vm1";
    return config;
}

struct stat stat_of(fs::path const& path) {
    struct stat st {};
    EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
    return st;
}

std::set<std::string> names_in(fs::path const& dir) {
    std::set<std::string> names;
    for (auto const& entry : fs::directory_iterator(dir)) {
        names.insert(entry.path().filename().string());
    }
    return names;
}

class GuestConfigInjection : public ::testing::Test {
protected:
    void SetUp() override {
        auto dir = base::TempDir::create("microvm-inject-test-");
        ASSERT_TRUE(dir);
        m_dir.emplace(std::move(*dir));
        fs::create_directories(source());
        ::chmod(source().c_str(), 0755);
        fs::create_directories(m_dir->path() / "vm");
    }
    fs::path source() const { return m_dir->path() / "source"; }
    RootfsView view() const {
        auto view = create_view(source(), m_dir->path() / "vm");
        EXPECT_TRUE(view) << view.error().text();
        return *view;
    }
    // The parsed config the guest would read from `root`.
    void expect_config_in(fs::path const& root) const {
        auto text = test::read_file(root / "etc/microvm.json");
        auto parsed = contract::parse_guest_config(text, "microvm.json");
        ASSERT_TRUE(parsed) << parsed.error().text();
        EXPECT_EQ(parsed->hostname, "vm1");
        ASSERT_EQ(parsed->virtiofs_mounts.size(), 1u);
        EXPECT_TRUE(parsed->virtiofs_mounts[0].read_only);
        EXPECT_EQ(stat_of(root / "etc/microvm.json").st_mode & 07777, 0644u);
    }

    std::optional<base::TempDir> m_dir;
};

TEST_F(GuestConfigInjection, WritesIntoTheUpperDirWithTheImagesEtcMode) {
    fs::create_directories(source() / "etc");
    test::write_file(source() / "etc/passwd", "root:x:0:0::/root:/bin/sh\n");
    ::chmod((source() / "etc").c_str(), 0750);
    ::chown((source() / "etc").c_str(), 12, 34);
    auto v = view();

    auto result = inject_guest_config(v, sample_config());
    ASSERT_TRUE(result) << result.error().text();
    expect_config_in(v.upper_dir);
    auto etc = stat_of(v.upper_dir / "etc");
    EXPECT_EQ(etc.st_mode & 07777, 0750u);
    EXPECT_EQ(etc.st_uid, 12u);
    EXPECT_EQ(etc.st_gid, 34u);
    EXPECT_EQ(names_in(source() / "etc"), (std::set<std::string>{"passwd"}));
}

TEST_F(GuestConfigInjection, ImageWithoutEtcGetsOne) {
    auto v = view();
    ASSERT_TRUE(inject_guest_config(v, sample_config()));
    expect_config_in(v.upper_dir);
    EXPECT_EQ(stat_of(v.upper_dir / "etc").st_mode & 07777, 0755u);
    EXPECT_TRUE(fs::is_empty(source()));
}

TEST_F(GuestConfigInjection, EtcSymlinkInTheImageIsNotFollowed) {
    fs::create_directories(source() / "usr/etc");
    fs::create_symlink("usr/etc", source() / "etc");
    auto v = view();
    auto result = inject_guest_config(v, sample_config());
    ASSERT_TRUE(result) << result.error().text();
    expect_config_in(v.upper_dir);
    EXPECT_TRUE(fs::is_empty(source() / "usr/etc"));
    EXPECT_FALSE(fs::exists(v.upper_dir / "usr"));
}

TEST_F(GuestConfigInjection, SymlinkPlantedInTheUpperDirIsRefused) {
    fs::path outside = m_dir->path() / "outside";
    fs::create_directories(outside);
    auto v = view();
    fs::create_symlink(outside, v.upper_dir / "etc");
    auto result = inject_guest_config(v, sample_config());
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().text().find("inject guest config"), std::string::npos);
    EXPECT_TRUE(fs::is_empty(outside));
}

TEST_F(GuestConfigInjection, ImagesOwnConfigIsReplacedInTheViewOnly) {
    fs::create_directories(source() / "etc");
    test::write_file(source() / "etc/microvm.json", R"({"virtiofs_mounts":[]})");
    auto v = view();
    ASSERT_TRUE(inject_guest_config(v, sample_config()));
    expect_config_in(v.upper_dir);
    EXPECT_EQ(test::read_file(source() / "etc/microvm.json"), R"({"virtiofs_mounts":[]})");
}

TEST_F(GuestConfigInjection, WithoutAnUpperDirTheSourceIsTheRoot) {
    RootfsView v{.source = source(), .upper_dir = {}, .work_dir = {}};
    ASSERT_TRUE(inject_guest_config(v, sample_config()));
    expect_config_in(source());
}

// What the header promises about the merged view, checked on a real overlay (needs root).
TEST_F(GuestConfigInjection, GuestSeesTheMergedEtc) {
    ASSERT_EQ(::geteuid(), 0u) << "this test mounts an overlay and must run as root";
    fs::create_directories(source() / "etc");
    test::write_file(source() / "etc/passwd", "root:x:0:0::/root:/bin/sh\n");
    fs::path symlinked = m_dir->path() / "symlinked";
    fs::create_directories(symlinked / "usr/etc");
    test::write_file(symlinked / "usr/etc/passwd", "x");
    fs::create_symlink("usr/etc", symlinked / "etc");
    fs::create_directories(m_dir->path() / "vm2");

    auto merged_view = view();
    auto symlinked_view = create_view(symlinked, m_dir->path() / "vm2");
    ASSERT_TRUE(symlinked_view);
    ASSERT_TRUE(inject_guest_config(merged_view, sample_config()));
    ASSERT_TRUE(inject_guest_config(*symlinked_view, sample_config()));
    fs::path merged = m_dir->path() / "m1";
    fs::path merged_symlinked = m_dir->path() / "m2";
    fs::create_directories(merged);
    fs::create_directories(merged_symlinked);

    pid_t pid = ::fork();
    if (pid == 0) {
        if (::unshare(CLONE_NEWNS) != 0 ||
            ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
            ::_exit(100);
        }
        auto mount = [](RootfsView const& v, fs::path const& at) {
            std::string options = "lowerdir=" + v.source.string() +
                                  ",upperdir=" + v.upper_dir.string() +
                                  ",workdir=" + v.work_dir.string();
            return ::mount("overlay", at.c_str(), "overlay", 0, options.c_str()) == 0;
        };
        if (!mount(merged_view, merged) || !mount(*symlinked_view, merged_symlinked)) {
            ::_exit(101);
        }
        // An image with a real etc: its files and ours side by side.
        if (names_in(merged / "etc") != std::set<std::string>{"microvm.json", "passwd"}) {
            ::_exit(1);
        }
        // An image whose etc is a symlink: /etc holds only ours; its files stay in usr/etc.
        if (names_in(merged_symlinked / "etc") != std::set<std::string>{"microvm.json"} ||
            !fs::is_directory(fs::symlink_status(merged_symlinked / "etc")) ||
            !fs::exists(merged_symlinked / "usr/etc/passwd")) {
            ::_exit(2);
        }
        ::_exit(0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "1: merged etc wrong, 2: symlinked etc wrong, 10x: mount";
}

} // namespace
} // namespace microvm::rootfs
