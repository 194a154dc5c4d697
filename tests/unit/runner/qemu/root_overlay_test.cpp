#include <gtest/gtest.h>

#include "runner/engine/qemu/root_overlay.hpp"

namespace microvm::runner::qemu {
namespace {

TEST(RootOverlay, MountOptionsNameTheThreeLayers) {
    EXPECT_EQ(overlay_mount_options("/cache/rootfs", "/vm/upper", "/vm/work"),
              "lowerdir=/cache/rootfs,upperdir=/vm/upper,workdir=/vm/work");
}

TEST(RootOverlay, SeparatorsInPathsAreEscaped) {
    EXPECT_EQ(overlay_mount_options("/a:b", "/c,d", "/e\\f"),
              "lowerdir=/a\\:b,upperdir=/c\\,d,workdir=/e\\\\f");
}

} // namespace
} // namespace microvm::runner::qemu
