#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "base/temp_dir.hpp"
#include "host/microvm/data_dir.hpp"
#include "support/test_support.hpp"

namespace microvm {
namespace {

std::string resolved(std::filesystem::path const& configured, DataDirEnvironment const& env) {
    auto dir = resolve_data_dir(configured, env);
    return dir ? dir->string() : "error: " + dir.error().text();
}

TEST(ResolveDataDir, FollowsThePrecedence) {
    DataDirEnvironment env{.microvm_data_dir = "/m", .xdg_data_home = "/x", .home = "/h"};
    EXPECT_EQ(resolved("/c", env), "/c");
    EXPECT_EQ(resolved({}, env), "/m");
    env.microvm_data_dir = "";
    EXPECT_EQ(resolved({}, env), "/x/microvm");
    env.xdg_data_home.reset();
    EXPECT_EQ(resolved({}, env), "/h/.local/share/microvm");
    env.home.reset();
    EXPECT_EQ(resolved({}, env),
              "error: no data directory: set MICROVM_DATA_DIR, XDG_DATA_HOME or HOME");
}

TEST(ResolveDataDir, RelativeDirectoriesAreRefused) {
    DataDirEnvironment env{.microvm_data_dir = "rel"};
    EXPECT_EQ(resolved({}, env),
              "error: data directory from $MICROVM_DATA_DIR is not absolute: rel");
}

mode_t mode_of(std::filesystem::path const& path) {
    struct stat st {};
    EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
}

TEST(ClaimVmDir, CreatesPrivateDirectories) {
    auto tmp = base::TempDir::create("microvm-datadir-test-");
    ASSERT_TRUE(tmp);
    auto data = tmp->path() / "deep" / "data";
    auto vm = claim_vm_dir(data, "web");
    ASSERT_TRUE(vm) << vm.error().text();
    EXPECT_EQ(*vm, data / "vms" / "web");
    EXPECT_EQ(mode_of(data), 0700u);
    EXPECT_EQ(mode_of(data / "vms"), 0700u);
    EXPECT_EQ(mode_of(*vm), 0700u);
    auto found = existing_vm_dir(data, "web");
    ASSERT_TRUE(found) << found.error().text();
    EXPECT_EQ(*found, *vm);
}

TEST(ClaimVmDir, ANameIsClaimedOnce) {
    auto tmp = base::TempDir::create("microvm-datadir-test-");
    ASSERT_TRUE(tmp);
    ASSERT_TRUE(claim_vm_dir(tmp->path(), "web"));
    auto again = claim_vm_dir(tmp->path(), "web");
    ASSERT_FALSE(again);
    EXPECT_NE(again.error().text().find("a VM named \"web\" already exists"), std::string::npos)
        << again.error().text();
}

TEST(ClaimVmDir, OfConcurrentClaimsExactlyOneWins) {
    auto tmp = base::TempDir::create("microvm-datadir-test-");
    ASSERT_TRUE(tmp);
    for (int round = 0; round < 20; ++round) {
        std::string const name = "vm" + std::to_string(round);
        std::atomic<int> wins = 0;
        std::vector<std::thread> claimers;
        for (int i = 0; i < 4; ++i) {
            claimers.emplace_back([&] { wins += claim_vm_dir(tmp->path(), name) ? 1 : 0; });
        }
        for (auto& claimer : claimers) {
            claimer.join();
        }
        EXPECT_EQ(wins, 1) << name;
    }
}

TEST(ExistingVmDir, AnUnknownNameIsAClearError) {
    auto tmp = base::TempDir::create("microvm-datadir-test-");
    ASSERT_TRUE(tmp);
    auto missing = existing_vm_dir(tmp->path(), "nope");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().text(), "no VM named \"nope\"");
    EXPECT_FALSE(existing_vm_dir(tmp->path(), "../etc"));
}

TEST(EnsureVmDir, TightensALooseExistingDirectory) {
    auto tmp = base::TempDir::create("microvm-datadir-test-");
    ASSERT_TRUE(tmp);
    auto data = tmp->path() / "data";
    std::filesystem::create_directory(data);
    ::chmod(data.c_str(), 0755);
    ASSERT_TRUE(ensure_private_dir(data));
    EXPECT_EQ(mode_of(data), 0700u);
}

TEST(EnsureVmDir, RefusesSymlinksFilesAndBadNames) {
    auto tmp = base::TempDir::create("microvm-datadir-test-");
    ASSERT_TRUE(tmp);
    std::filesystem::create_directory(tmp->path() / "elsewhere");
    std::filesystem::create_directory_symlink(tmp->path() / "elsewhere", tmp->path() / "link");
    auto linked = ensure_private_dir(tmp->path() / "link");
    ASSERT_FALSE(linked);
    EXPECT_NE(linked.error().text().find("is not a directory"), std::string::npos);

    test::write_file(tmp->path() / "file", "x");
    EXPECT_FALSE(ensure_private_dir(tmp->path() / "file"));

    auto bad = claim_vm_dir(tmp->path() / "data", "../escape");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().text(), "name \"../escape\" must start with a letter or a digit");
    EXPECT_FALSE(std::filesystem::exists(tmp->path() / "data"));
}

} // namespace
} // namespace microvm
