// A VM writes only to its own view of the root; the source is never modified.
#include <gtest/gtest.h>

#include <thread>

#include "vm_fixture.hpp"

namespace microvm::e2e {
namespace {

TEST(RootfsView, TheSourceIsUnchangedAfterTheGuestRewritesItsRoot) {
    auto const before = snapshot(world().rootfs);
    auto result = run_sh("rm /bin/ls && echo guest > /etc/guest-created && mkdir /new-dir && "
                         "chmod 700 /root && test ! -e /bin/ls && echo ls-gone; "
                         "cat /etc/guest-created");
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out, "ls-gone\nguest\n");
    EXPECT_EQ(snapshot(world().rootfs), before);
}

TEST(RootfsView, TwoVmsOnOneSourceDoNotSeeEachOthersWrites) {
    // Each VM writes its marker, waits long enough for the other one to have written its own,
    // then lists the markers it can see. Whether or not the two overlap in time, each must see
    // only its own.
    auto const script = [](char const* mine) {
        return std::string("echo x > /marker-") + mine + "; sleep 4; ls / | grep marker-";
    };
    test::ProcessResult a;
    test::ProcessResult b;
    std::thread first([&] { a = run_sh(script("a")); });
    std::thread second([&] { b = run_sh(script("b")); });
    first.join();
    second.join();
    ASSERT_EQ(a.exit_code, 0) << a.err;
    ASSERT_EQ(b.exit_code, 0) << b.err;
    EXPECT_EQ(a.out, "marker-a\n");
    EXPECT_EQ(b.out, "marker-b\n");
    EXPECT_FALSE(std::filesystem::exists(world().rootfs / "marker-a"));
    EXPECT_FALSE(std::filesystem::exists(world().rootfs / "marker-b"));
}

} // namespace
} // namespace microvm::e2e
