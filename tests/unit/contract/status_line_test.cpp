#include <gtest/gtest.h>

#include "contract/status_line.hpp"

namespace microvm::contract {
namespace {

TEST(StatusLine, EncodesTheExitLine) {
    EXPECT_EQ(encode_exit_status(0), "exit=0\n");
    EXPECT_EQ(encode_exit_status(255), "exit=255\n");
    EXPECT_EQ(parse_exit_status(encode_exit_status(77)), 77);
}

TEST(StatusLine, EveryStatusFromZeroTo255) {
    for (int status : {0, 1, 42, 126, 127, 255}) {
        EXPECT_EQ(parse_exit_status("exit=" + std::to_string(status) + "\n"), status);
    }
}

TEST(StatusLine, NoReport) {
    EXPECT_EQ(parse_exit_status(""), std::nullopt);
    EXPECT_EQ(parse_exit_status("hello\n"), std::nullopt);
    EXPECT_EQ(parse_exit_status("exit=\n"), std::nullopt);
}

TEST(StatusLine, OutOfRangeOrMalformedIsNoReport) {
    for (char const* text : {"exit=256\n", "exit=-1\n", "exit=4x\n", "exit= 4\n", "exit=+4\n",
                             "exit=99999999999999999999\n"}) {
        EXPECT_EQ(parse_exit_status(text), std::nullopt) << text;
    }
}

TEST(StatusLine, LastValidLineWinsAndLineEndingsVary) {
    EXPECT_EQ(parse_exit_status("exit=3\nexit=4\n"), 4);
    EXPECT_EQ(parse_exit_status("exit=3\nexit=bogus\n"), 3);
    EXPECT_EQ(parse_exit_status("exit=9"), 9);
    EXPECT_EQ(parse_exit_status("exit=9\r\n"), 9);
}

} // namespace
} // namespace microvm::contract
