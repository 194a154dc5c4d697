#include <gtest/gtest.h>

#include "krun_recorder.hpp"
#include "runner/engine/libkrun/shares.hpp"

namespace microvm::runner::libkrun {
namespace {

using test::recorded;
using test::recording_api;

contract::RunnerConfig config_with(ReadOnlyPolicy policy) {
    contract::RunnerConfig config;
    config.read_only_policy = policy;
    // libkrun cannot refuse privileged files, so its read-write share has both opt-ins.
    config.virtiofs_mounts = {
        {.tag = "ro", .path = "/host/ro", .read_only = true},
        {.tag = "rw", .path = "/host/rw", .allow_setuid = true, .allow_devices = true}};
    // microvm-init runs in the guest, so guest-only enforcement is possible at all.
    config.libkrun.init = "/.microvm/init";
    return config;
}

TEST(LibkrunShares, Virtiofs3CarriesEachSharesReadOnlyFlag) {
    auto api = recording_api();
    auto plan = plan_shares(config_with(ReadOnlyPolicy::require_host), api);
    ASSERT_TRUE(plan) << plan.error().error.text();
    ASSERT_TRUE(add_shares(api, 0, *plan));
    EXPECT_EQ(recorded(), (std::vector<std::string>{"add_virtiofs3 ro /host/ro 0 1",
                                                    "add_virtiofs3 rw /host/rw 0 0"}));
}

TEST(LibkrunShares, WithoutVirtiofs3RequireHostRefusesBeforeAnyCall) {
    auto api = recording_api(false);
    auto plan = plan_shares(config_with(ReadOnlyPolicy::require_host), api);
    ASSERT_FALSE(plan);
    EXPECT_EQ(plan.error().exit, contract::RunnerExit::config_error);
    EXPECT_TRUE(plan.error().error.text().starts_with(
        "virtiofs mount \"ro\" is read-only but the libkrun engine cannot enforce it on the "
        "host; refusing to start (allow guest-only enforcement with --allow-guest-only-readonly "
        "to run anyway): this libkrun has no krun_add_virtiofs3; libkrun >= 1.18 does"))
        << plan.error().error.text();
    EXPECT_TRUE(recorded().empty());
}

TEST(LibkrunShares, WithoutVirtiofs3AllowGuestOnlyWarnsOncePerReadOnlyShare) {
    auto api = recording_api(false);
    ::testing::internal::CaptureStderr();
    auto plan = plan_shares(config_with(ReadOnlyPolicy::allow_guest_only), api);
    std::string const err = ::testing::internal::GetCapturedStderr();
    ASSERT_TRUE(plan) << plan.error().error.text();
    EXPECT_EQ(err, "Warning: virtiofs mount \"ro\" is read-only but libkrun has no host-side "
                   "enforcement; relying on guest-side MS_RDONLY\n");
    ASSERT_TRUE(add_shares(api, 0, *plan));
    EXPECT_EQ(recorded(),
              (std::vector<std::string>{"add_virtiofs ro /host/ro", "add_virtiofs rw /host/rw"}));
}

TEST(LibkrunShares, FailedCallNamesTheTagAndIsARuntimeError) {
    auto api = recording_api();
    api.add_virtiofs3 = [](uint32_t, char const*, char const*, uint64_t, bool) {
        return int32_t{-EACCES};
    };
    auto plan = plan_shares(config_with(ReadOnlyPolicy::require_host), api);
    ASSERT_TRUE(plan);
    auto added = add_shares(api, 0, *plan);
    ASSERT_FALSE(added);
    EXPECT_EQ(added.error().exit, contract::RunnerExit::runtime_error);
    EXPECT_EQ(added.error().error.text(), "krun_add_virtiofs3 \"ro\" /host/ro: Permission denied");
}

TEST(LibkrunShares, AReadWriteShareWithoutOptInsIsRefusedBeforeAnyCall) {
    auto api = recording_api();
    auto config = config_with(ReadOnlyPolicy::allow_guest_only);
    config.virtiofs_mounts[1].allow_setuid = false;
    auto plan = plan_shares(config, api);
    ASSERT_FALSE(plan);
    EXPECT_EQ(plan.error().exit, contract::RunnerExit::config_error);
    EXPECT_NE(plan.error().error.text().find("virtiofs mount \"rw\" is read-write, and the libkrun "
                                             "engine's file server cannot refuse the setuid"),
              std::string::npos)
        << plan.error().error.text();
    EXPECT_TRUE(recorded().empty());
}

// Without microvm-init nothing in the guest mounts a share read-only: guest-only enforcement
// is refused under either policy.
TEST(LibkrunShares, WithoutMicrovmInitGuestOnlyIsRefusedUnderEitherPolicy) {
    for (auto policy : {ReadOnlyPolicy::require_host, ReadOnlyPolicy::allow_guest_only}) {
        auto api = recording_api(false);
        auto config = config_with(policy);
        config.libkrun.init.clear();
        auto plan = plan_shares(config, api);
        ASSERT_FALSE(plan);
        EXPECT_EQ(plan.error().exit, contract::RunnerExit::config_error);
        EXPECT_TRUE(plan.error().error.text().starts_with(
            "virtiofs mount \"ro\" is read-only but nothing would enforce it"))
            << plan.error().error.text();
    }
}

} // namespace
} // namespace microvm::runner::libkrun
