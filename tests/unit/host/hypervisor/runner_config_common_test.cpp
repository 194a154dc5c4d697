#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <optional>

#include "base/temp_dir.hpp"
#include "host/hypervisor/runner_config_common.hpp"

namespace microvm::hypervisor {
namespace {

namespace fs = std::filesystem;

// The fields themselves are checked through both backends' builders
// (libkrun/runner_config_test.cpp, qemu/make_runner_config_test.cpp).
TEST(CommonRunnerConfig, TheEngineIsTheCallersAndTheRuntimeDirIsLeftEmpty) {
    VmConfig config;
    config.vm_dir = "/vms/web";
    config.mounts = {{.tag = "src", .host_path = "/home/me/src", .read_only = true}};
    auto const out = common_runner_config(config, contract::Engine::qemu);
    EXPECT_EQ(out.engine, contract::Engine::qemu);
    ASSERT_EQ(out.virtiofs_mounts.size(), 1u);
    EXPECT_TRUE(out.virtiofs_mounts[0].read_only);
    // Set by start_runner() only once the directory exists.
    EXPECT_EQ(out.runtime_dir, "");
}

class RuntimeDir : public ::testing::Test {
protected:
    void SetUp() override {
        auto dir = base::TempDir::create("microvm-runtime-dir-test-");
        ASSERT_TRUE(dir) << dir.error().text();
        m_dir.emplace(std::move(*dir));
    }
    fs::path const& path() const { return m_dir->path(); }

    std::optional<base::TempDir> m_dir;
};

TEST_F(RuntimeDir, IsAPrivateDirectoryInTheVmDirectory) {
    auto dir = prepare_runtime_dir(path());
    ASSERT_TRUE(dir) << dir.error().text();
    EXPECT_EQ(*dir, (path() / "run").string());
    struct stat st {};
    ASSERT_EQ(::lstat(dir->c_str(), &st), 0);
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    EXPECT_EQ(st.st_mode & 0077, 0u);
    // A second start of the same VM reuses it.
    EXPECT_EQ(prepare_runtime_dir(path()).value_or(""), *dir);
}

TEST_F(RuntimeDir, ASymlinkInItsPlaceIsRefused) {
    fs::create_directory(path() / "elsewhere");
    fs::create_directory_symlink(path() / "elsewhere", path() / "run");
    EXPECT_FALSE(prepare_runtime_dir(path()));
}

TEST_F(RuntimeDir, TooDeepForSocketsLeavesItToTheEngine) {
    auto deep = path() / std::string(contract::max_runtime_dir_length, 'd');
    fs::create_directory(deep);
    auto dir = prepare_runtime_dir(deep);
    ASSERT_TRUE(dir) << dir.error().text();
    EXPECT_EQ(*dir, "");
    EXPECT_FALSE(fs::exists(deep / "run"));
}

} // namespace
} // namespace microvm::hypervisor
