#include <gtest/gtest.h>

#include "cli/human_units.hpp"

namespace microvm::cli {
namespace {

TEST(HumanSize, SiUnitsLikeDocker) {
    EXPECT_EQ(human_size(17), "17B");
    EXPECT_EQ(human_size(512'000), "512kB");
    EXPECT_EQ(human_size(12'345'678), "12.3MB");
    EXPECT_EQ(human_size(1'500'000'000), "1.5GB");
}

TEST(HumanAge, WholeUnitsAgo) {
    // 2026-01-02T03:04:05Z
    std::int64_t const created = 1767323045;
    EXPECT_EQ(human_age("2026-01-02T03:04:05Z", created + 5), "5 seconds ago");
    EXPECT_EQ(human_age("2026-01-02T03:04:05.123456789Z", created + 3 * 3600), "3 hours ago");
    EXPECT_EQ(human_age("2026-01-02T03:04:05Z", created + 86400), "1 day ago");
    EXPECT_EQ(human_age("", created), "N/A");
    EXPECT_EQ(human_age("yesterday", created), "N/A");
}

} // namespace
} // namespace microvm::cli
