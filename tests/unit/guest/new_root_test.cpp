#include <gtest/gtest.h>

#include <filesystem>

#include "base/temp_dir.hpp"
#include "fake_syscalls.hpp"
#include "guest/new_root.hpp"
#include "support/test_support.hpp"

namespace microvm::guest {
namespace {

namespace fs = std::filesystem;
using Calls = std::vector<std::string>;

// A directory standing in for the mounted root share: the fake mount leaves it as it is, so
// /etc/microvm.json is read from it.
struct NewRoot {
    base::TempDir dir = std::move(*base::TempDir::create("microvm-new-root-test-"));
    std::string path = dir.path().string();
    NewRoot() { fs::create_directories(dir.path() / "etc"); }
    void config(std::string const& json) {
        microvm::test::write_file(dir.path() / "etc/microvm.json", json);
    }
};

std::vector<std::string> share_mounts(Calls const& calls) {
    std::vector<std::string> out;
    for (auto const& call : calls) {
        if (call.starts_with("mount ") && call.find(" virtiofs ") != std::string::npos &&
            !call.starts_with("mount microvm-root ")) {
            out.push_back(call);
        }
    }
    return out;
}

TEST(PrepareNewRoot, RootShareFirstThenEssentialsThenShares) {
    NewRoot root;
    root.config(R"({"tmp_size_mib": 64, "share_uid": 1000, "share_gid": 1000,
        "virtiofs_mounts": [{"tag": "src", "guest_path": "/src", "read_only": true},
                            {"tag": "out", "guest_path": "/out"}]})");
    test::FakeSyscalls sys;
    auto prepared = prepare_new_root(sys, root.path);
    ASSERT_TRUE(prepared) << prepared.error().text();
    ASSERT_GE(sys.calls.size(), 2u);
    EXPECT_EQ(sys.calls[0], "mkdir " + root.path + " 0755");
    EXPECT_EQ(sys.calls[1], "mount microvm-root " + root.path + " virtiofs 0 \"\"");
    EXPECT_NE(std::find(sys.calls.begin(), sys.calls.end(),
                        "mount tmpfs " + root.path + "/tmp tmpfs MS_NOSUID|MS_NODEV \"size=64m\""),
              sys.calls.end());
    Calls const tail(sys.calls.end() - 5, sys.calls.end());
    EXPECT_EQ(tail,
              (Calls{
                  "mkdir " + root.path + "/src 0755",
                  "mount src " + root.path + "/src virtiofs MS_RDONLY|MS_NOSUID|MS_NODEV \"\"",
                  "mkdir " + root.path + "/out 0755",
                  "mount out " + root.path + "/out virtiofs MS_NOSUID|MS_NODEV \"\"",
                  "chown " + root.path + "/out 1000:1000",
              }));
    EXPECT_EQ(prepared->workload.argv, (std::vector<std::string>{"/bin/sh"}));
}

TEST(PrepareNewRoot, AShareThatOptedInIsMountedWithoutNosuidOrNodev) {
    NewRoot root;
    root.config(R"({"virtiofs_mounts": [
        {"tag": "both", "guest_path": "/both", "allow_setuid": true, "allow_devices": true},
        {"tag": "suid", "guest_path": "/suid", "allow_setuid": true},
        {"tag": "dev", "guest_path": "/dev-files", "read_only": true, "allow_devices": true}]})");
    test::FakeSyscalls sys;
    auto prepared = prepare_new_root(sys, root.path);
    ASSERT_TRUE(prepared) << prepared.error().text();
    EXPECT_EQ(share_mounts(sys.calls),
              (Calls{
                  "mount both " + root.path + "/both virtiofs 0 \"\"",
                  "mount suid " + root.path + "/suid virtiofs MS_NODEV \"\"",
                  "mount dev " + root.path + "/dev-files virtiofs MS_RDONLY|MS_NOSUID \"\"",
              }));
}

TEST(PrepareNewRoot, MissingConfigMeansDefaultsAndNoShares) {
    NewRoot root;
    test::FakeSyscalls sys;
    auto prepared = prepare_new_root(sys, root.path);
    ASSERT_TRUE(prepared) << prepared.error().text();
    EXPECT_TRUE(share_mounts(sys.calls).empty());
    EXPECT_NE(std::find(sys.calls.begin(), sys.calls.end(),
                        "mount tmpfs " + root.path + "/tmp tmpfs MS_NOSUID|MS_NODEV \"size=256m\""),
              sys.calls.end());
}

TEST(PrepareNewRoot, AConfigThatDoesNotParseMountsNothingElse) {
    for (std::string bad : {
             R"({"virtiofs_mounts": [{"tag": "src", "guest_path": "/src", "read_only": true})",
             R"({"virtiofs_mounts": [{"tag": "src", "guest_path": "/src", "read_only": "true"}]})",
             R"({"virtiofs_mounts": [{"tag": "src", "guest_path": "/src", "read_only": null}]})",
             R"([])",
         }) {
        NewRoot root;
        root.config(bad);
        test::FakeSyscalls sys;
        auto prepared = prepare_new_root(sys, root.path);
        ASSERT_FALSE(prepared) << bad;
        EXPECT_TRUE(prepared.error().text().starts_with("/etc/microvm.json"))
            << prepared.error().text();
        EXPECT_EQ(sys.calls, (Calls{"mkdir " + root.path + " 0755",
                                    "mount microvm-root " + root.path + " virtiofs 0 \"\""}))
            << bad;
    }
}

TEST(PrepareNewRoot, AWorkloadUserThatCannotBeUsedMountsNothingElse) {
    NewRoot root;
    root.config(R"({"user": "1000:1000:1000",
        "virtiofs_mounts": [{"tag": "src", "guest_path": "/src"}]})");
    test::FakeSyscalls sys;
    EXPECT_FALSE(prepare_new_root(sys, root.path));
    EXPECT_EQ(sys.calls.size(), 2u);
}

TEST(PrepareNewRoot, AShareThatCannotBeMountedStopsTheBoot) {
    NewRoot root;
    root.config(R"({"virtiofs_mounts": [{"tag": "src", "guest_path": "/src", "read_only": true},
                                        {"tag": "out", "guest_path": "/out"}]})");
    test::FakeSyscalls sys;
    sys.fail("mount", 0, 8); // the root share and the seven essential mounts
    sys.fail("mount", ENOENT, 5);
    auto prepared = prepare_new_root(sys, root.path);
    ASSERT_FALSE(prepared);
    EXPECT_TRUE(prepared.error().text().starts_with(
        "mounting virtiofs tag \"src\" on /src after 5 attempts: "))
        << prepared.error().text();
    EXPECT_TRUE(share_mounts(sys.calls).size() == 5u) << "the second share is never tried";
}

// The libkrun boot prepares the root libkrun mounted: no root share of its own, and then the
// same mounts, in the same order, with the same flags as the qemu boot.
TEST(PrepareRoot, InPlaceMountsTheSharesExactlyAsTheQemuBootDoes) {
    NewRoot root;
    root.config(R"({"virtiofs_mounts": [{"tag": "src", "guest_path": "/src", "read_only": true},
                                        {"tag": "out", "guest_path": "/out"}]})");
    test::FakeSyscalls in_place;
    auto prepared = prepare_root(in_place, root.path);
    ASSERT_TRUE(prepared) << prepared.error().text();
    for (auto const& call : in_place.calls) {
        EXPECT_FALSE(call.starts_with("mount microvm-root ")) << call;
    }
    test::FakeSyscalls qemu_boot;
    ASSERT_TRUE(prepare_new_root(qemu_boot, root.path));
    Calls const after_root_share(qemu_boot.calls.begin() + 2, qemu_boot.calls.end());
    EXPECT_EQ(in_place.calls, after_root_share);
    EXPECT_EQ(share_mounts(in_place.calls),
              (Calls{"mount src " + root.path + "/src virtiofs MS_RDONLY|MS_NOSUID|MS_NODEV \"\"",
                     "mount out " + root.path + "/out virtiofs MS_NOSUID|MS_NODEV \"\""}));
}

} // namespace
} // namespace microvm::guest
