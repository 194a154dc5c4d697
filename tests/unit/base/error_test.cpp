#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <type_traits>

#include "base/error.hpp"

namespace microvm {
namespace {

Result<int> parse_positive(int value) {
    if (value <= 0) {
        return fail("value must be > 0");
    }
    return value;
}

Result<int> doubled(int value) {
    int checked = TRY_CTX(parse_positive(value), "double " + std::to_string(value));
    return checked * 2;
}

Result<void> open_missing() {
    return fail_errno("open /nonexistent", ENOENT);
}

Result<void> outer() {
    TRY_CTX(open_missing(), "load config");
    return {};
}

TEST(Error, ValueFlowsThroughTry) {
    EXPECT_EQ(*doubled(21), 42);
}

TEST(Error, ContextIsPrependedOncePerLayer) {
    auto result = doubled(-1);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().text(), "double -1: value must be > 0");
    EXPECT_EQ(result.error().root(), "value must be > 0");
    EXPECT_EQ(result.error().errno_value(), 0);
}

TEST(Error, ErrnoErrorsCarryTheSystemMessage) {
    auto result = outer();
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().text(), "load config: open /nonexistent: No such file or directory");
    EXPECT_EQ(result.error().errno_value(), ENOENT);
}

TEST(Error, ContextChainsOutermostFirst) {
    Error error = Error::message("EPERM").context("mount(virtiofs)").context("start vm");
    EXPECT_EQ(error.text(), "start vm: mount(virtiofs): EPERM");
}

TEST(Error, AlsoKeepsTheRootCauseAndItsErrno) {
    Error error = Error::from_errno("chown /data", EPERM);
    error.also("unmounting it again failed too", Error::from_errno("umount2 /data", EBUSY));
    error.context("mount share");
    EXPECT_EQ(error.errno_value(), EPERM);
    EXPECT_EQ(error.root(), "chown /data");
    EXPECT_EQ(error.text(), "mount share: chown /data: Operation not permitted; unmounting it "
                            "again failed too: umount2 /data: Device or resource busy");
}

// Result is a std::expected in every way but one: the compiler does not let a caller drop it.
// (That one is checked by the build itself: -Werror turns a discarded Result into an error.)
static_assert(std::is_base_of_v<std::expected<int, Error>, Result<int>>);
static_assert(std::is_convertible_v<std::expected<int, Error>, Result<int>>);
static_assert(std::is_convertible_v<std::unexpected<Error>, Result<void>>);
static_assert(std::is_convertible_v<int, Result<int>>);
static_assert(std::is_default_constructible_v<Result<void>>);
static_assert(std::is_nothrow_move_constructible_v<Result<std::string>>);

TEST(Result, WorksAsAStdExpected) {
    Result<int> result = 41;
    EXPECT_TRUE(result == 41);
    result = fail("no");
    EXPECT_FALSE(result);
    result = 42;
    EXPECT_EQ(*result, 42);
    EXPECT_EQ(result.value_or(0), 42);

    std::optional<Result<int>> maybe = parse_positive(3);
    ASSERT_TRUE(maybe && *maybe);
    EXPECT_EQ(**maybe, 3);

    std::expected<int, Error> plain = 7;
    Result<int> from_plain = std::move(plain);
    EXPECT_EQ(*from_plain, 7);
}

} // namespace
} // namespace microvm
