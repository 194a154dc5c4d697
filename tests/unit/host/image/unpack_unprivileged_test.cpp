// Unpacking as an ordinary user (how most people run microvm): ownership is not kept,
// read-only directories of one layer still receive the next layer's entries, and the tree
// can be removed again. Runs the unpack in a child that drops root, so it needs root.
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>

#include "base/safe_tree.hpp"
#include "unpack_fixture.hpp"

namespace microvm::image::test {
namespace {

constexpr uid_t nobody = 65534;

class UnpackUnprivileged : public UnpackTest {
protected:
    // Runs `body` as uid/gid 65534 in a child; returns what it reported ("" = success).
    std::string as_nobody(std::function<std::string()> const& body) {
        int fds[2];
        EXPECT_EQ(::pipe(fds), 0);
        pid_t const pid = ::fork();
        if (pid == 0) {
            ::close(fds[0]);
            std::string report;
            if (::setgroups(0, nullptr) != 0 || ::setresgid(nobody, nobody, nobody) != 0 ||
                ::setresuid(nobody, nobody, nobody) != 0) {
                report = "cannot drop root";
            } else {
                report = body();
            }
            (void)!::write(fds[1], report.data(), report.size());
            ::_exit(0);
        }
        ::close(fds[1]);
        std::string report;
        char buf[512];
        ssize_t n = 0;
        while ((n = ::read(fds[0], buf, sizeof buf)) > 0) {
            report.append(buf, static_cast<std::size_t>(n));
        }
        ::close(fds[0]);
        int status = 0;
        ::waitpid(pid, &status, 0);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        return report;
    }
};

TEST_F(UnpackUnprivileged, ReadOnlyDirectoriesOwnershipAndRemoval) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "needs root to switch to an unprivileged user";
    }
    fs::path const cache = base() / "final";
    fs::create_directory(cache);
    ASSERT_EQ(::chown(cache.c_str(), nobody, nobody), 0);
    ASSERT_EQ(::chmod(cache.c_str(), 0700), 0);
    ASSERT_EQ(::chmod(base().c_str(), 0755), 0);
    auto const layers = write_layers(
        {LayerBuilder()
             .dir("ro", 0555)
             .owner(1, 1)
             .file("ro/old", "o", 0444)
             .dir("ro/locked", 0000)
             .file("usr/bin/su", "su", 04755)
             .owner(0, 0),
         LayerBuilder().file("ro/new", "n").file("ro/.wh.old", "").file("ro/locked/inside", "i"),
         LayerBuilder().file("gone/x", "x").dir("gone", 0500),
         LayerBuilder().file(".wh.gone", "")});
    fs::path const target = cache / "rootfs";

    std::string const report = as_nobody([&]() -> std::string {
        auto stats = unpack_image(layers, target);
        if (!stats) {
            return "unpack: " + stats.error().text();
        }
        struct stat st {};
        if (::stat((target / "ro/new").c_str(), &st) != 0 || st.st_uid != nobody) {
            return "ro/new missing or not owned by the unpacking user";
        }
        if (::stat((target / "ro").c_str(), &st) != 0 || (st.st_mode & 07777) != 0555) {
            return "ro lost its mode";
        }
        if (::lstat((target / "ro/old").c_str(), &st) == 0) {
            return "ro/old survived its whiteout";
        }
        if (::lstat((target / "gone").c_str(), &st) == 0) {
            return "gone survived its whiteout";
        }
        if (::stat((target / "usr/bin/su").c_str(), &st) != 0 || (st.st_mode & 07777) != 04755) {
            return "setuid bit lost";
        }
        auto removed = base::remove_tree(target);
        if (!removed) {
            return "remove: " + removed.error().text();
        }
        return "";
    });
    EXPECT_EQ(report, "");
    EXPECT_FALSE(fs::exists(target));
    EXPECT_TRUE(fs::is_empty(cache));
}

} // namespace
} // namespace microvm::image::test
