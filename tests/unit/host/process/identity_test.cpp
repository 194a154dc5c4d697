#include <gtest/gtest.h>
#include <unistd.h>

#include "host/process/identity.hpp"

namespace microvm::process {
namespace {

// Field 22 (start time) is 98765 in both lines.
constexpr char plain_stat[] = "4242 (microvm-runner) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 "
                              "0 0 20 0 3 0 98765 10000 200 18446744073709551615";
constexpr char tricky_stat[] = "4242 (a) b) (c) Z 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 "
                               "0 0 20 0 3 0 98765 10000 200";

TEST(ParseStat, ReadsStateAndStartTime) {
    auto stat = parse_stat(plain_stat);
    ASSERT_TRUE(stat) << stat.error().text();
    EXPECT_EQ(stat->state, 'S');
    EXPECT_EQ(stat->start_time, 98765u);
}

TEST(ParseStat, CountsFieldsAfterTheLastParenthesis) {
    auto stat = parse_stat(tricky_stat);
    ASSERT_TRUE(stat) << stat.error().text();
    EXPECT_EQ(stat->state, 'Z');
    EXPECT_EQ(stat->start_time, 98765u);
}

TEST(ParseStat, RejectsTruncatedText) {
    EXPECT_FALSE(parse_stat("4242 (x) S 1 2 3"));
    EXPECT_FALSE(parse_stat("no parenthesis"));
    EXPECT_FALSE(parse_stat("1 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 notanumber"));
}

TEST(Identity, OfThisProcess) {
    auto exe = read_exe(::getpid());
    ASSERT_TRUE(exe) << exe.error().text();
    auto identity = capture_identity(::getpid(), *exe);
    ASSERT_TRUE(identity) << identity.error().text();
    EXPECT_EQ(check_identity(*identity), Presence::running);

    auto elsewhere = *identity;
    elsewhere.exe = "/elsewhere" / exe->filename();
    EXPECT_EQ(check_identity(elsewhere), Presence::replaced);
    auto later = *identity;
    later.start_time += 1;
    EXPECT_EQ(check_identity(later), Presence::replaced);
}

TEST(Identity, InvalidPids) {
    EXPECT_FALSE(capture_identity(0, "/x"));
    EXPECT_EQ(check_identity({.pid = 0, .start_time = 0, .exe = "/x"}), Presence::gone);
    EXPECT_EQ(check_identity({.pid = -1, .start_time = 0, .exe = "/x"}), Presence::gone);
}

} // namespace
} // namespace microvm::process
