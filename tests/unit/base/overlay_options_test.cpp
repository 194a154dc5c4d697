#include <gtest/gtest.h>

#include "base/overlay_options.hpp"

namespace microvm::base {
namespace {

TEST(OverlayOptions, NameTheThreeLayers) {
    EXPECT_EQ(overlay_options("/cache/rootfs", "/vm/upper", "/vm/work"),
              "lowerdir=/cache/rootfs,upperdir=/vm/upper,workdir=/vm/work");
}

TEST(OverlayOptions, EscapeSeparators) {
    // ':' separates lower layers and ',' options; an unescaped one would change the mount.
    EXPECT_EQ(overlay_options("/a:b", "/c,d", "/e\\f"),
              "lowerdir=/a\\:b,upperdir=/c\\,d,workdir=/e\\\\f");
}

} // namespace
} // namespace microvm::base
