#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "runner/engine/qemu/accelerator.hpp"

namespace microvm::runner::qemu {
namespace {

constexpr KvmProbe usable{.device_usable = true, .hardware_backed = true};
constexpr KvmProbe absent{.device_usable = false, .hardware_backed = false};
// /dev/kvm opens, but it is PVM in a nested sandbox: a distribution kernel hangs there.
constexpr KvmProbe pvm{.device_usable = true, .hardware_backed = false};

TEST(Accelerator, AutoTakesHardwareKvmOnly) {
    EXPECT_EQ(choose_accelerator("auto", usable), Accelerator::kvm);
    EXPECT_EQ(choose_accelerator("auto", absent), Accelerator::tcg);
    EXPECT_EQ(choose_accelerator("auto", pvm), Accelerator::tcg);
    EXPECT_EQ(choose_accelerator("", usable), Accelerator::kvm);
}

TEST(Accelerator, TcgIsNeverKvm) {
    EXPECT_EQ(choose_accelerator("tcg", usable), Accelerator::tcg);
}

TEST(Accelerator, KvmInsistsOnTheDevice) {
    EXPECT_EQ(choose_accelerator("kvm", usable), Accelerator::kvm);
    EXPECT_EQ(choose_accelerator("kvm", pvm), Accelerator::kvm);
    auto const missing = choose_accelerator("kvm", absent);
    ASSERT_FALSE(missing);
    EXPECT_THAT(missing.error().text(), ::testing::HasSubstr("/dev/kvm"));
}

TEST(Accelerator, UnknownSettingIsNamed) {
    auto const result = choose_accelerator("hvf", usable);
    ASSERT_FALSE(result);
    EXPECT_THAT(result.error().text(), ::testing::HasSubstr("qemu.accel \"hvf\""));
}

} // namespace
} // namespace microvm::runner::qemu
