// The heart of the product: a read-only share stays read-only, even after the guest remounts
// it read-write, because the host-side file server refuses the writes.
#include <gtest/gtest.h>

#include <fstream>

#include "vm_fixture.hpp"

namespace microvm::e2e {
namespace {

std::filesystem::path make_share() {
    auto dir = fresh_dir("share");
    std::ofstream(dir / "existing") << "original\n";
    std::filesystem::create_directory(dir / "subdir");
    return dir;
}

constexpr char const* write_ops[] = {"create",  "write", "unlink", "rename",   "mkdir",
                                     "rmdir",   "chmod", "chown",  "truncate", "setxattr",
                                     "symlink", "link",  "utimes"};

// The probe's verdict for `op` in the given section of its output.
std::string verdict(std::string const& section, std::string const& op) {
    auto at = section.find(op + " ");
    if (at == std::string::npos) {
        return "missing";
    }
    auto end = section.find('\n', at);
    return section.substr(at + op.size() + 1, end - at - op.size() - 1);
}

TEST(ReadOnlyShare, ReadsWorkAndEveryWriteIsRefusedEvenAfterRemountReadWrite) {
    auto share = make_share();
    auto const before = snapshot(share);
    auto result = run_sh("cat /ro/existing; echo '== mounted'; probe /ro; "
                         "mount -o remount,rw /ro && echo '== remounted rw'; "
                         "grep ' /ro ' /proc/mounts; probe /ro",
                         {"-v", share.string() + ":/ro:ro"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_TRUE(result.out.starts_with("original\n")) << result.out;

    auto mounted_at = result.out.find("== mounted");
    auto remounted_at = result.out.find("== remounted rw");
    ASSERT_NE(mounted_at, std::string::npos) << result.out;
    ASSERT_NE(remounted_at, std::string::npos) << "the guest could not remount: " << result.out;
    std::string const guest_ro = result.out.substr(mounted_at, remounted_at - mounted_at);
    std::string const guest_rw = result.out.substr(remounted_at);
    EXPECT_NE(guest_rw.find(" rw,"), std::string::npos) << "remount did not take: " << guest_rw;

    for (auto const* op : write_ops) {
        EXPECT_EQ(verdict(guest_ro, op), "EROFS") << op << " under the guest's MS_RDONLY";
        // With the guest's layer gone only the host's remains; it must refuse every write.
        auto host = verdict(guest_rw, op);
        EXPECT_NE(host, "OK") << op << " succeeded after remount,rw";
        EXPECT_NE(host, "missing") << op;
    }
    EXPECT_EQ(snapshot(share), before) << "the host directory changed";
}

TEST(ReadOnlyShare, GuestMountsItReadOnlyNoSuidNoDev) {
    auto share = make_share();
    auto result = run_sh("grep ' /ro ' /proc/mounts", {"-v", share.string() + ":/ro:ro"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.out.find("virtiofs ro,nosuid,nodev"), std::string::npos) << result.out;
}

TEST(ReadWriteShare, GuestWritesAppearOnTheHost) {
    auto share = make_share();
    auto result = run_sh("echo from-guest > /rw/created && mkdir /rw/newdir && "
                         "echo more >> /rw/existing && grep ' /rw ' /proc/mounts",
                         {"-v", share.string() + ":/rw"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.out.find("virtiofs rw,nosuid,nodev"), std::string::npos) << result.out;
    EXPECT_EQ(test::read_file(share / "created"), "from-guest\n");
    EXPECT_TRUE(std::filesystem::is_directory(share / "newdir"));
    EXPECT_EQ(test::read_file(share / "existing"), "original\nmore\n");
}

TEST(ReadOnlyShare, ReadOnlyAndReadWriteSharesSideBySide) {
    auto ro = make_share();
    auto rw = make_share();
    auto const before = snapshot(ro);
    auto result = run_sh("cp /ro/existing /rw/copied; echo x > /ro/new || echo refused",
                         {"-v", ro.string() + ":/ro:ro", "--mount",
                          "type=virtiofs,source=" + rw.string() + ",target=/rw"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.out.find("refused"), std::string::npos);
    EXPECT_EQ(test::read_file(rw / "copied"), "original\n");
    EXPECT_EQ(snapshot(ro), before);
}

} // namespace
} // namespace microvm::e2e
