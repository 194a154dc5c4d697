#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <optional>

#include "base/safe_file.hpp"
#include "base/temp_dir.hpp"
#include "base/user_accounts.hpp"
#include "support/test_support.hpp"

namespace microvm::base {
namespace {

namespace fs = std::filesystem;

class ResolveUser : public ::testing::Test {
protected:
    void SetUp() override {
        auto dir = base::TempDir::create("microvm-user-test-");
        ASSERT_TRUE(dir);
        m_dir.emplace(std::move(*dir));
        fs::create_directories(rootfs() / "etc");
        fs::create_directories(m_dir->path() / "host");
        test::write_file(rootfs() / "etc/passwd", "# comment\n"
                                                  "root:x:0:0:root:/root:/bin/sh\n"
                                                  "\n"
                                                  "+nis\n"
                                                  "broken:x:notanumber:1::/:/bin/false\n"
                                                  "app:x:1000:1001:App:/home/app:/bin/sh\n"
                                                  "short:x\n"
                                                  "daemon:x:2:2\n");
        test::write_file(rootfs() / "etc/group",
                         "root:x:0:\nwheel:x:10:app\napp:x:1001:\nstaff:x:50");
        // The host's own account files, which an image must never make us read.
        test::write_file(m_dir->path() / "host/passwd", "hostonly:x:4242:4242::/:/bin/sh\n");
        open();
    }
    void open() {
        auto root = base::open_root(rootfs());
        ASSERT_TRUE(root);
        m_root = std::move(*root);
    }
    fs::path rootfs() const { return m_dir->path() / "rootfs"; }
    UserIds ok(std::string const& spec) {
        auto ids = resolve_user(spec, m_root);
        EXPECT_TRUE(ids) << spec << ": " << ids.error().text();
        return ids ? *ids : UserIds{};
    }
    std::string error(std::string const& spec) {
        auto ids = resolve_user(spec, m_root);
        EXPECT_FALSE(ids) << spec;
        return ids ? "" : ids.error().text();
    }

    std::optional<base::TempDir> m_dir;
    base::Fd m_root;
};

TEST_F(ResolveUser, EmptyMeansRoot) {
    EXPECT_EQ(ok(""), (UserIds{0, 0, "/root"}));
}

TEST_F(ResolveUser, NameAndNumber) {
    EXPECT_EQ(ok("app"), (UserIds{1000, 1001, "/home/app"}));
    EXPECT_EQ(ok("1000"), (UserIds{1000, 1001, "/home/app"})) << "a listed uid gets its group";
    EXPECT_EQ(ok("daemon"), (UserIds{2, 2, ""}));
    EXPECT_EQ(ok("4000"), (UserIds{4000, 0, ""})) << "an unlisted uid gets group 0";
}

TEST_F(ResolveUser, WithGroup) {
    EXPECT_EQ(ok("app:wheel"), (UserIds{1000, 10, "/home/app"}));
    EXPECT_EQ(ok("app:7"), (UserIds{1000, 7, "/home/app"}));
    EXPECT_EQ(ok("1000:1000"), (UserIds{1000, 1000, "/home/app"}));
    EXPECT_EQ(ok("4000:staff"), (UserIds{4000, 50, ""}));
    EXPECT_EQ(ok("root:root"), (UserIds{0, 0, "/root"}));
}

TEST_F(ResolveUser, UnknownNamesAreClearErrors) {
    EXPECT_EQ(error("nobody"),
              "resolve user \"nobody\": no user \"nobody\" in the image's /etc/passwd");
    EXPECT_EQ(error("app:nogroup"),
              "resolve user \"app:nogroup\": no group \"nogroup\" in the image's /etc/group");
    EXPECT_EQ(error("broken"),
              "resolve user \"broken\": no user \"broken\" in the image's /etc/passwd")
        << "malformed lines are skipped";
    EXPECT_EQ(error("app:"), "resolve user \"app:\": the group after ':' is empty");
    EXPECT_EQ(error("4294967295"),
              "resolve user \"4294967295\": user id 4294967295 is out of range");
    EXPECT_EQ(error("1:99999999999"),
              "resolve user \"1:99999999999\": group id 99999999999 is out of range");
}

TEST_F(ResolveUser, MissingFiles) {
    fs::remove(rootfs() / "etc/passwd");
    fs::remove(rootfs() / "etc/group");
    EXPECT_EQ(ok("0:0"), (UserIds{0, 0, ""}));
    EXPECT_EQ(ok("1000"), (UserIds{1000, 0, ""}));
    EXPECT_EQ(error("app"),
              "resolve user \"app\": no user \"app\" in the image's files (it has no /etc/passwd)");
    EXPECT_EQ(error("1:wheel"), "resolve user \"1:wheel\": no group \"wheel\" in the image's files "
                                "(it has no /etc/group)");
}

TEST_F(ResolveUser, SymlinkedPasswdResolvesInsideTheImage) {
    // An absolute link to the host's file is resolved against the image's root...
    fs::remove(rootfs() / "etc/passwd");
    fs::create_symlink(m_dir->path() / "host/passwd", rootfs() / "etc/passwd");
    EXPECT_NE(error("hostonly").find("no user \"hostonly\""), std::string::npos);
    // ...and so is a relative one that climbs out.
    fs::remove(rootfs() / "etc/passwd");
    fs::create_symlink("../../../../../../host/passwd", rootfs() / "etc/passwd");
    EXPECT_NE(error("hostonly").find("no user \"hostonly\""), std::string::npos);
    // A link inside the image works, as it does for the guest's libc.
    fs::create_directories(rootfs() / "usr/etc");
    test::write_file(rootfs() / "usr/etc/passwd", "svc:x:300:300::/srv:/bin/sh\n");
    fs::remove(rootfs() / "etc/passwd");
    fs::create_symlink("/usr/etc/passwd", rootfs() / "etc/passwd");
    EXPECT_EQ(ok("svc"), (UserIds{300, 300, "/srv"}));
}

TEST_F(ResolveUser, FifoOrHugePasswdIsRefused) {
    fs::remove(rootfs() / "etc/passwd");
    ASSERT_EQ(::mkfifo((rootfs() / "etc/passwd").c_str(), 0644), 0);
    EXPECT_NE(error("app").find("not a regular file"), std::string::npos);
    fs::remove(rootfs() / "etc/passwd");
    test::write_file(rootfs() / "etc/passwd", std::string((1 << 20) + 1, '#'));
    EXPECT_NE(error("app").find("read /etc/passwd"), std::string::npos);
}

} // namespace
} // namespace microvm::base
