#include <gtest/gtest.h>

#include "guest/libkrun_boot.hpp"

namespace microvm::guest {
namespace {

// The host's root is not virtio-fs: microvm-init --libkrun run by hand refuses before it
// mounts or signals anything.
TEST(LibkrunBoot, RefusesToRunOutsideALibkrunGuest) {
    auto checked = check_libkrun_guest();
    ASSERT_FALSE(checked);
    EXPECT_NE(checked.error().text().find("not virtio-fs"), std::string::npos)
        << checked.error().text();
    EXPECT_EQ(run_under_libkrun(), 125);
}

// The ioctl libkrun takes as the exit status means nothing to another file system.
TEST(LibkrunBoot, ReportingTheStatusOutsideLibkrunFails) {
    auto reported = report_status_to_libkrun(3);
    ASSERT_FALSE(reported);
    EXPECT_NE(reported.error().text().find("ioctl(KRUN_EXIT_CODE)"), std::string::npos)
        << reported.error().text();
}

} // namespace
} // namespace microvm::guest
