#include <gtest/gtest.h>

#include "base/temp_dir.hpp"
#include "guest/modules.hpp"
#include "support/test_support.hpp"

namespace microvm::guest {
namespace {

using Names = std::vector<std::string>;

TEST(ParseModuleList, OneNamePerLineInOrder) {
    auto names = parse_module_list("virtio_ring.ko\nvirtio.ko\nvirtio_pci.ko\n");
    ASSERT_TRUE(names) << names.error().text();
    EXPECT_EQ(*names, (Names{"virtio_ring.ko", "virtio.ko", "virtio_pci.ko"}));
}

TEST(ParseModuleList, SkipsBlankLinesAndCommentsAndTrims) {
    auto names = parse_module_list("# dependencies first\n\n  fuse.ko \r\n\t\nvirtiofs.ko.xz");
    ASSERT_TRUE(names) << names.error().text();
    EXPECT_EQ(*names, (Names{"fuse.ko", "virtiofs.ko.xz"}));
}

TEST(ParseModuleList, EmptyListIsEmpty) {
    auto names = parse_module_list("");
    ASSERT_TRUE(names);
    EXPECT_TRUE(names->empty());
}

TEST(ParseModuleList, RejectsPathsWithTheLineNumber) {
    for (std::string bad : {"../evil.ko", "kernel/fs/fuse.ko", "..", "/fuse.ko"}) {
        auto names = parse_module_list("virtio.ko\n" + bad + "\n");
        ASSERT_FALSE(names) << bad;
        EXPECT_EQ(names.error().text(), "line 2: \"" + bad + "\" is not a module file name");
    }
}

TEST(LoadModules, MissingFileNamesThePath) {
    auto loaded = load_modules("/nonexistent-module-dir", {"virtio.ko"});
    ASSERT_FALSE(loaded);
    EXPECT_EQ(loaded.error().text(),
              "open module /nonexistent-module-dir/virtio.ko: No such file or directory");
}

TEST(LoadListedModules, MissingListMeansNothingToLoad) {
    EXPECT_TRUE(load_listed_modules("/nonexistent-module-list", "/nonexistent-module-dir"));
}

TEST(LoadListedModules, BadListNamesTheFile) {
    auto dir = base::TempDir::create("microvm-modules-test-");
    ASSERT_TRUE(dir);
    auto const list = (dir->path() / "microvm-modules").string();
    microvm::test::write_file(list, "a/b.ko\n");
    auto loaded = load_listed_modules(list, dir->path().string());
    ASSERT_FALSE(loaded);
    EXPECT_EQ(loaded.error().text(), list + ": line 1: \"a/b.ko\" is not a module file name");
}

} // namespace
} // namespace microvm::guest
