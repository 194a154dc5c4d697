#include <gtest/gtest.h>

#include "cli/attach_command.hpp"

namespace microvm::cli {
namespace {

TEST(DetachKeys, PodmansNotation) {
    EXPECT_EQ(parse_detach_keys(default_detach_keys).value(), "\x10\x11");
    EXPECT_EQ(parse_detach_keys("ctrl-a,x").value(), "\x01x");
    EXPECT_EQ(parse_detach_keys("ctrl-@,ctrl-_").value(), std::string("\0\x1f", 2));
    EXPECT_EQ(parse_detach_keys("").value(), "");
}

TEST(DetachKeys, WhatIsNotAKeyIsNamed) {
    auto const bad = parse_detach_keys("ctrl-p,alt-q");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().text().find("alt-q"), std::string::npos);
    EXPECT_FALSE(parse_detach_keys("ctrl-1"));
}

} // namespace
} // namespace microvm::cli
