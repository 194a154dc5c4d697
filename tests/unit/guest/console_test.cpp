#include <gtest/gtest.h>

#include "guest/console.hpp"

namespace microvm::guest {
namespace {

TEST(CmdlineHasWord, MatchesWholeWordsOnly) {
    std::string_view const cmdline = "console=ttyS0 quiet microvm.trace panic=-1\n";
    EXPECT_TRUE(cmdline_has_word(cmdline, "microvm.trace"));
    EXPECT_TRUE(cmdline_has_word(cmdline, "quiet"));
    EXPECT_TRUE(cmdline_has_word(cmdline, "panic=-1"));
    EXPECT_FALSE(cmdline_has_word(cmdline, "microvm"));
    EXPECT_FALSE(cmdline_has_word(cmdline, "trace"));
    EXPECT_FALSE(cmdline_has_word("microvm.traces", "microvm.trace"));
    EXPECT_FALSE(cmdline_has_word("", "microvm.trace"));
    EXPECT_TRUE(cmdline_has_word("microvm.trace", "microvm.trace"));
}

} // namespace
} // namespace microvm::guest
