#include <gtest/gtest.h>

#include "host/hypervisor/vm_config.hpp"

namespace microvm::hypervisor {
namespace {

TEST(ToFilesystemMounts, KeepsTagPathAndReadOnlyOfEveryMount) {
    std::vector<VirtioFSMount> mounts = {
        {.tag = "src", .host_path = "/srv/src", .guest_path = "/src", .read_only = true},
        {.tag = "out", .host_path = "/srv/out", .guest_path = "/out", .read_only = false},
        {.tag = "cfg", .host_path = "/etc/app", .guest_path = "/cfg", .read_only = true},
    };
    auto converted = to_filesystem_mounts(mounts);
    ASSERT_EQ(converted.size(), mounts.size());
    for (std::size_t i = 0; i < mounts.size(); ++i) {
        EXPECT_EQ(converted[i].tag, mounts[i].tag);
        EXPECT_EQ(converted[i].host_path, mounts[i].host_path);
        EXPECT_EQ(converted[i].read_only, mounts[i].read_only) << "mount " << i;
    }
}

TEST(ToFilesystemMounts, NoMountsGiveNoMounts) {
    EXPECT_TRUE(to_filesystem_mounts({}).empty());
}

} // namespace
} // namespace microvm::hypervisor
