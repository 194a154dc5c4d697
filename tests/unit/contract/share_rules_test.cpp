#include <gtest/gtest.h>

#include "contract/guest_protocol.hpp"
#include "contract/share_rules.hpp"

namespace microvm::contract {
namespace {

TEST(ShareRules, TheRootSharesTagIsReserved) {
    auto checked = validate_tag(root_share_tag);
    ASSERT_FALSE(checked);
    EXPECT_EQ(checked.error().text(), "tag \"microvm-root\" is reserved for the VM's root share");
    EXPECT_TRUE(validate_tag("microvm-root2"));
}

TEST(ShareRules, TheGuestOnlyWarningNamesTheShareAndTheEngine) {
    EXPECT_EQ(guest_only_warning("src", "qemu"),
              "Warning: virtiofs mount \"src\" is read-only but qemu has no host-side "
              "enforcement; relying on guest-side MS_RDONLY");
}

} // namespace
} // namespace microvm::contract
