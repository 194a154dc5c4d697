#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "runner/engine/qemu/host_tsc.hpp"

namespace microvm::runner::qemu {
namespace {

TEST(HostTsc, InvariantOnlyWithBothFlagsAsWholeWords) {
    EXPECT_TRUE(has_invariant_tsc("processor\t: 0\nflags\t\t: fpu tsc constant_tsc nonstop_tsc "
                                  "tsc_known_freq\nbogomips\t: 4192.03\n"));
    EXPECT_TRUE(has_invariant_tsc("flags\t\t: nonstop_tsc constant_tsc"));
    EXPECT_FALSE(has_invariant_tsc("flags\t\t: fpu tsc constant_tsc\n"));
    EXPECT_FALSE(has_invariant_tsc("flags\t\t: xconstant_tsc nonstop_tscx\n"));
    EXPECT_FALSE(has_invariant_tsc("processor\t: 0\nbogomips\t: 4192.03\n"));
    // Only the first CPU's flags count: the guest's vCPU runs on any of them, which the kernel
    // reports alike.
    EXPECT_FALSE(has_invariant_tsc("flags\t: fpu\nflags\t: constant_tsc nonstop_tsc\n"));
}

// Against this machine: when its TSC is invariant, the rate measured twice agrees to 0.5 %,
// and lies in the plausible range (the function returns nothing outside it).
TEST(HostTsc, MeasuresAStableRateWhereTheTscIsInvariant) {
    std::ifstream file("/proc/cpuinfo");
    std::stringstream cpuinfo;
    cpuinfo << file.rdbuf();
    auto const first = measure_host_tsc_khz(std::chrono::milliseconds(20));
    if (!has_invariant_tsc(cpuinfo.str())) {
        EXPECT_FALSE(first) << "a TSC without constant_tsc/nonstop_tsc must not be measured";
        return;
    }
    ASSERT_TRUE(first);
    auto const second = measure_host_tsc_khz(std::chrono::milliseconds(20));
    ASSERT_TRUE(second);
    EXPECT_GE(*first, 100'000u);
    EXPECT_LE(*first, 10'000'000u);
    double const ratio = static_cast<double>(*first) / static_cast<double>(*second);
    EXPECT_NEAR(ratio, 1.0, 0.005) << *first << " kHz vs " << *second << " kHz";
}

} // namespace
} // namespace microvm::runner::qemu
