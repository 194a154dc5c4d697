#include <gtest/gtest.h>

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

} // namespace
} // namespace microvm
