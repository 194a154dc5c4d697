#include <gtest/gtest.h>

#include "cli/resource_options.hpp"

namespace microvm::cli {
namespace {

TEST(ParseSize, BytesAndBinaryUnits) {
    EXPECT_EQ(parse_size("0").value(), 0U);
    EXPECT_EQ(parse_size("4096").value(), 4096U);
    EXPECT_EQ(parse_size("512K").value(), 512U << 10);
    EXPECT_EQ(parse_size("256M").value(), 256U << 20);
    EXPECT_EQ(parse_size("10G").value(), 10ULL << 30);
    EXPECT_EQ(parse_size("1GiB").value(), 1ULL << 30);
}

TEST(ParseSize, NonsenseIsRefusedQuotingTheValue) {
    for (char const* bad : {"", "ten", "-1", "5X", "1.5.2G"}) {
        auto size = parse_size(bad);
        ASSERT_FALSE(size) << bad;
        EXPECT_NE(size.error().text().find(std::string("\"") + bad + "\""), std::string::npos)
            << size.error().text();
    }
}

TEST(ResourceOptions, DiskSizeIsUnsetUnlessGiven) {
    RunOptions options;
    ASSERT_TRUE(apply_resource_options({}, options));
    EXPECT_FALSE(options.disk_size);
    ASSERT_TRUE(apply_resource_options({.disk_size = "0"}, options));
    EXPECT_EQ(options.disk_size, 0U);
    auto bad = apply_resource_options({.disk_size = "lots"}, options);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().text().rfind("--disk-size: ", 0), 0U) << bad.error().text();
}

TEST(ResourceOptions, LogMaxSizeIsUnsetUnlessGiven) {
    RunOptions options;
    ASSERT_TRUE(apply_resource_options({}, options));
    EXPECT_FALSE(options.log_max_size);
    ASSERT_TRUE(apply_resource_options({.log_max_size = "1M"}, options));
    EXPECT_EQ(options.log_max_size, 1U << 20);
    auto bad = apply_resource_options({.log_max_size = "x"}, options);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().text().rfind("--log-max-size: ", 0), 0U) << bad.error().text();
}

} // namespace
} // namespace microvm::cli
