#include <gtest/gtest.h>

#include "contract/share_rules.hpp"
#include "runner/read_only_policy.hpp"

namespace microvm::runner {
namespace {

using contract::Engine;

TEST(ReadOnlyPolicy, HostEnforcementIsTakenUnderEitherPolicySilently) {
    for (auto policy : {ReadOnlyPolicy::require_host, ReadOnlyPolicy::allow_guest_only}) {
        ::testing::internal::CaptureStderr();
        auto decided = decide_read_only(Engine::qemu, "src", Result<void>(), policy);
        EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
        ASSERT_TRUE(decided);
        EXPECT_TRUE(*decided);
    }
}

// The same decision, the same words, whichever engine could not enforce the share.
TEST(ReadOnlyPolicy, RequireHostRefusesNamingShareEngineReasonAndOptIn) {
    for (auto engine : {Engine::qemu, Engine::libkrun}) {
        auto decided = decide_read_only(engine, "src", fail_errno("mount --bind", EPERM),
                                        ReadOnlyPolicy::require_host);
        ASSERT_FALSE(decided);
        EXPECT_EQ(decided.error().exit, contract::RunnerExit::config_error);
        EXPECT_EQ(decided.error().error.text(),
                  std::string("virtiofs mount \"src\" is read-only but the ") +
                      contract::to_string(engine) +
                      " engine cannot enforce it on the host; refusing to start (allow guest-only "
                      "enforcement with --allow-guest-only-readonly to run anyway): mount --bind: "
                      "Operation not permitted");
        // The cause keeps its errno.
        EXPECT_EQ(decided.error().error.errno_value(), EPERM);
    }
}

TEST(ReadOnlyPolicy, AllowGuestOnlyWarnsAndReportsNotHostEnforced) {
    for (auto engine : {Engine::qemu, Engine::libkrun}) {
        ::testing::internal::CaptureStderr();
        auto decided = decide_read_only(engine, "src", fail("no way to do it"),
                                        ReadOnlyPolicy::allow_guest_only);
        std::string const err = ::testing::internal::GetCapturedStderr();
        ASSERT_TRUE(decided);
        EXPECT_FALSE(*decided);
        EXPECT_EQ(err, contract::guest_only_warning("src", contract::to_string(engine)) + "\n");
        EXPECT_EQ(err, std::string("Warning: virtiofs mount \"src\" is read-only but ") +
                           contract::to_string(engine) +
                           " has no host-side enforcement; relying on guest-side MS_RDONLY\n");
    }
}

} // namespace
} // namespace microvm::runner
