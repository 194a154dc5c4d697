#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "base/temp_dir.hpp"
#include "runner/engine/qemu/read_only_view.hpp"
#include "support/test_support.hpp"

namespace microvm::runner::qemu {
namespace {

// The view is made in the child's own mount namespace: a write there fails with EROFS, and
// the source and the runner's namespace are untouched.
TEST(ReadOnlyView, WritesThroughTheViewFailWithErofs) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "needs CAP_SYS_ADMIN for a mount namespace";
    }
    auto dir = base::TempDir::create("microvm-ro-view-test-");
    ASSERT_TRUE(dir);
    auto const source = dir->path() / "source";
    auto const target = dir->path() / "view";
    std::filesystem::create_directories(source);
    std::filesystem::create_directories(target);
    test::write_file(source / "file", "original");
    ReadOnlyView const view{.source = source.string(), .target = target.string()};

    ASSERT_TRUE(probe_read_only_view(view));

    std::string const victim = (target / "file").string();
    std::string const created = (target / "new").string();
    auto const step = read_only_view_step(view);
    auto const result = base::run_in_child([&]() -> base::ChildStepStatus {
        auto const entered = step();
        if (entered.failed()) {
            return entered;
        }
        // The view shows the source...
        if (::access(victim.c_str(), R_OK) != 0) {
            return {ENOENT, "view shows the source"};
        }
        // ...and refuses to change it.
        int fd = ::open(victim.c_str(), O_WRONLY | O_TRUNC);
        if (fd >= 0 || errno != EROFS) {
            return {EINVAL, "write refused with EROFS"};
        }
        fd = ::open(created.c_str(), O_WRONLY | O_CREAT, 0644);
        if (fd >= 0 || errno != EROFS) {
            return {EINVAL, "create refused with EROFS"};
        }
        return base::ChildStepStatus::ok();
    });
    EXPECT_TRUE(result) << result.error().text();
    EXPECT_EQ(test::read_file(source / "file"), "original");
    EXPECT_FALSE(std::filesystem::exists(source / "new"));
    // Nothing is mounted on the target in this namespace.
    EXPECT_TRUE(std::filesystem::is_empty(target));
}

} // namespace
} // namespace microvm::runner::qemu
