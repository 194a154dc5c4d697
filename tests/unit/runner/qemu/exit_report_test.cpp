#include <gtest/gtest.h>

#include "base/temp_dir.hpp"
#include "runner/engine/qemu/exit_report.hpp"
#include "support/test_support.hpp"

namespace microvm::runner::qemu {
namespace {

TEST(ExitReport, ReadsTheFileAndAMissingFileIsNoReport) {
    auto dir = base::TempDir::create("microvm-exit-report-test-");
    ASSERT_TRUE(dir);
    auto const path = (dir->path() / "status").string();
    auto missing = read_exit_report(path);
    ASSERT_TRUE(missing) << missing.error().text();
    EXPECT_EQ(*missing, std::nullopt);
    test::write_file(path, "exit=42\n");
    auto present = read_exit_report(path);
    ASSERT_TRUE(present) << present.error().text();
    EXPECT_EQ(*present, 42);
}

} // namespace
} // namespace microvm::runner::qemu
