#include <gtest/gtest.h>

#include "base/temp_dir.hpp"
#include "runner/engine/qemu/exit_report.hpp"
#include "support/test_support.hpp"

namespace microvm::runner::qemu {
namespace {

TEST(ExitReport, EveryStatusFromZeroTo255) {
    for (int status : {0, 1, 42, 126, 127, 255}) {
        EXPECT_EQ(parse_exit_report("exit=" + std::to_string(status) + "\n"), status);
    }
}

TEST(ExitReport, NoReport) {
    EXPECT_EQ(parse_exit_report(""), std::nullopt);
    EXPECT_EQ(parse_exit_report("hello\n"), std::nullopt);
    EXPECT_EQ(parse_exit_report("exit=\n"), std::nullopt);
}

TEST(ExitReport, OutOfRangeOrMalformedIsNoReport) {
    for (char const* text : {"exit=256\n", "exit=-1\n", "exit=4x\n", "exit= 4\n", "exit=+4\n",
                             "exit=99999999999999999999\n"}) {
        EXPECT_EQ(parse_exit_report(text), std::nullopt) << text;
    }
}

TEST(ExitReport, LastValidLineWinsAndLineEndingsVary) {
    EXPECT_EQ(parse_exit_report("exit=3\nexit=4\n"), 4);
    EXPECT_EQ(parse_exit_report("exit=3\nexit=bogus\n"), 3);
    EXPECT_EQ(parse_exit_report("exit=9"), 9);
    EXPECT_EQ(parse_exit_report("exit=9\r\n"), 9);
}

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
