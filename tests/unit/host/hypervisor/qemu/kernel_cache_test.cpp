#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "base/temp_dir.hpp"
#include "host/hypervisor/qemu/kernel_cache.hpp"
#include "support/test_support.hpp"

namespace microvm::hypervisor::qemu {
namespace {

namespace fs = std::filesystem;

TEST(KernelCacheKey, IsTheSourceVersionAndTheFragmentsHashPrefix) {
    // sha256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
    EXPECT_EQ(kernel_cache_key("6.1.192-3", "abc"), "6.1.192-3-ba7816bf8f01cfea");
}

// The hash compiled into the library is the one of the recipe in this tree (the fragment, then
// the patches in name order), so the kernel `make kernel` builds from it is the one the library
// looks for.
TEST(KernelCacheKey, TheCompiledInHashIsThisTreesRecipe) {
    fs::path const kernel_dir = fs::path(MICROVM_SOURCE_DIR) / "kernel";
    std::string recipe = test::read_file(kernel_dir / "microvm.config");
    ASSERT_FALSE(recipe.empty());
    std::vector<fs::path> patches;
    for (auto const& entry : fs::directory_iterator(kernel_dir / "patches")) {
        if (entry.path().extension() == ".patch") {
            patches.push_back(entry.path());
        }
    }
    ASSERT_FALSE(patches.empty());
    std::sort(patches.begin(), patches.end());
    for (auto const& patch : patches) {
        recipe += test::read_file(patch);
    }
    EXPECT_EQ(kernel_cache_key("v", recipe), "v-" + std::string(microvm_kernel_fragment_hash()));
}

TEST(KernelCacheRoots, TheUsersCacheThenTheMachines) {
    EXPECT_EQ(
        kernel_cache_roots({.microvm_kernel_cache = "/k", .xdg_cache_home = "/x", .home = "/h"}),
        (std::vector<fs::path>{"/k", "/var/cache/microvm/kernels"}));
    EXPECT_EQ(kernel_cache_roots({.xdg_cache_home = "/x", .home = "/h"}),
              (std::vector<fs::path>{"/x/microvm/kernels", "/var/cache/microvm/kernels"}));
    EXPECT_EQ(kernel_cache_roots({.home = "/h"}),
              (std::vector<fs::path>{"/h/.cache/microvm/kernels", "/var/cache/microvm/kernels"}));
    EXPECT_EQ(kernel_cache_roots({}), (std::vector<fs::path>{"/var/cache/microvm/kernels"}));
    // A relative value would depend on the caller's working directory: ignored.
    EXPECT_EQ(kernel_cache_roots({.microvm_kernel_cache = "k", .home = "/h"}),
              (std::vector<fs::path>{"/h/.cache/microvm/kernels", "/var/cache/microvm/kernels"}));
    EXPECT_EQ(kernel_cache_roots({.microvm_kernel_cache = "/var/cache/microvm/kernels"}),
              (std::vector<fs::path>{"/var/cache/microvm/kernels"}));
}

class FindCachedKernel : public ::testing::Test {
protected:
    void SetUp() override {
        auto dir = base::TempDir::create("microvm-kernel-cache-test-");
        ASSERT_TRUE(dir);
        m_dir.emplace(std::move(*dir));
    }
    fs::path root(std::string const& name) const { return m_dir->path() / name; }
    fs::path build(std::string const& cache, std::string const& key) const {
        auto const image = root(cache) / key / "bzImage";
        fs::create_directories(image.parent_path());
        test::write_file(image, "kernel");
        return image;
    }

    std::optional<base::TempDir> m_dir;
};

TEST_F(FindCachedKernel, TheNewestSourceVersionOfTheFragment) {
    build("user", "6.1.99-1-0123456789abcdef");
    auto const newest = build("user", "6.1.192-3-0123456789abcdef");
    build("user", "6.1.200-1-fedcba9876543210"); // another fragment
    EXPECT_EQ(find_cached_kernel({root("user")}, "0123456789abcdef"), newest);
}

TEST_F(FindCachedKernel, TheFirstRootWithOneWins) {
    auto const user = build("user", "6.1.90-1-0123456789abcdef");
    build("machine", "6.1.192-3-0123456789abcdef");
    EXPECT_EQ(find_cached_kernel({root("user"), root("machine")}, "0123456789abcdef"), user);
    EXPECT_EQ(find_cached_kernel({root("missing"), root("machine")}, "0123456789abcdef"),
              root("machine") / "6.1.192-3-0123456789abcdef" / "bzImage");
}

TEST_F(FindCachedKernel, NothingUsableIsNullopt) {
    // A directory without its bzImage, the build area, a file named like an entry.
    fs::create_directories(root("user") / "6.1.192-3-0123456789abcdef");
    fs::create_directories(root("user") / "build" / "6.1.192-3");
    test::write_file(root("user") / "6.1.193-1-0123456789abcdef", "not a directory");
    EXPECT_EQ(find_cached_kernel({root("user")}, "0123456789abcdef"), std::nullopt);
    EXPECT_EQ(find_cached_kernel({}, "0123456789abcdef"), std::nullopt);
}

} // namespace
} // namespace microvm::hypervisor::qemu
