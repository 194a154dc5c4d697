// The built-in preflight checks, each given the situation it must recognise, and
// run_preflight()'s order and error context.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <filesystem>
#include <limits>
#include <optional>

#include <microvm/preflight.hpp>

#include "base/fd.hpp"
#include "base/temp_dir.hpp"
#include "host/preflight/checks.hpp"
#include "support/test_support.hpp"

namespace microvm::preflight {
namespace {

namespace fs = std::filesystem;

class Preflight : public ::testing::Test {
protected:
    void SetUp() override {
        auto dir = base::TempDir::create("microvm-preflight-");
        ASSERT_TRUE(dir);
        m_dir.emplace(std::move(*dir));
    }
    fs::path dir() const { return m_dir->path(); }
    std::optional<base::TempDir> m_dir;
};

TEST(KvmCheck, WarnsWhenQemuFallsBackToTcg) {
    EXPECT_FALSE(kvm_warning({.device_usable = true, .hardware_backed = true}));
    auto const no_device = kvm_warning({.device_usable = false, .hardware_backed = true});
    ASSERT_TRUE(no_device);
    EXPECT_NE(no_device->find("/dev/kvm cannot be opened read-write"), std::string::npos);
    EXPECT_NE(no_device->find("TCG"), std::string::npos);
    auto const pvm = kvm_warning({.device_usable = true, .hardware_backed = false});
    ASSERT_TRUE(pvm);
    EXPECT_NE(pvm->find("kvm_intel or kvm_amd"), std::string::npos);
    // qemu runs anyway; libkrun cannot.
    EXPECT_TRUE(check_kvm(BackendKind::qemu, {}));
    auto const libkrun = check_kvm(BackendKind::libkrun, {});
    ASSERT_FALSE(libkrun);
    EXPECT_NE(libkrun.error().text().find("libkrun backend needs KVM"), std::string::npos);
    EXPECT_TRUE(check_kvm(BackendKind::libkrun, {.device_usable = true, .hardware_backed = true}));
}

TEST_F(Preflight, QemuToolsOfThisHost) {
    auto const found = check_qemu_tools(default_qemu_tool_paths(RunOptions{}));
    EXPECT_TRUE(found) << found.error().text();
}

TEST_F(Preflight, MissingQemuToolsAreNamedWithTheirPackage) {
    auto paths = default_qemu_tool_paths(RunOptions{});
    auto no_qemu = paths;
    no_qemu.search_path = dir().string();
    auto const qemu = check_qemu_tools(no_qemu);
    ASSERT_FALSE(qemu);
    EXPECT_NE(qemu.error().text().find("qemu-system-x86_64 not found in PATH"), std::string::npos);
    EXPECT_NE(qemu.error().text().find("install qemu-system-x86"), std::string::npos);

    auto no_virtiofsd = paths;
    no_virtiofsd.virtiofsd = dir() / "virtiofsd";
    auto const virtiofsd = check_qemu_tools(no_virtiofsd);
    ASSERT_FALSE(virtiofsd);
    EXPECT_NE(virtiofsd.error().text().find((dir() / "virtiofsd").string()), std::string::npos);

    auto no_kernel = paths;
    no_kernel.boot_dir = dir();
    no_kernel.kernel_cache_roots = {dir()};
    no_kernel.modules_root = dir();
    ::unsetenv("MICROVM_KERNEL");
    auto const kernel = check_qemu_tools(no_kernel);
    ASSERT_FALSE(kernel);
    EXPECT_NE(kernel.error().text().find("no guest kernel found"), std::string::npos);

    auto wrong_kernel = paths;
    wrong_kernel.kernel = dir() / "vmlinuz-none";
    auto const explicit_kernel = check_qemu_tools(wrong_kernel);
    ASSERT_FALSE(explicit_kernel);
    EXPECT_NE(explicit_kernel.error().text().find("vmlinuz-none"), std::string::npos);
}

TEST_F(Preflight, DiskSpace) {
    EXPECT_TRUE(check_free_space(dir(), 1));
    auto const full = check_free_space(dir(), std::numeric_limits<std::uint64_t>::max());
    ASSERT_FALSE(full);
    EXPECT_NE(full.error().text().find("MiB free in " + dir().string()), std::string::npos);
    auto const missing = check_free_space(dir() / "nope", 1);
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().text().find("statvfs"), std::string::npos);
}

TEST_F(Preflight, SharesAndRootfsMustExist) {
    fs::create_directories(dir() / "share");
    RunOptions options;
    options.mounts = {{.tag = "a", .host_path = dir() / "share", .guest_path = "/a"},
                      {.tag = "b", .host_path = dir() / "gone", .guest_path = "/b"}};
    auto const shares = check_shares(options);
    ASSERT_FALSE(shares);
    EXPECT_NE(shares.error().text().find("mounts[1]"), std::string::npos);
    EXPECT_NE(shares.error().text().find((dir() / "gone").string()), std::string::npos);
    options.mounts.pop_back();
    EXPECT_TRUE(check_shares(options));
    options.rootfs = dir() / "no-root";
    auto const root = check_shares(options);
    ASSERT_FALSE(root);
    EXPECT_NE(root.error().text().find("no-root"), std::string::npos);
}

TEST_F(Preflight, CallerChecksRunAfterTheBuiltInOnesWithTheContext) {
    RunOptions options;
    std::vector<std::string> seen;
    options.preflight_checks = {
        {"mine",
         [&](PreflightContext const& context) -> Result<void> {
             seen.push_back(context.data_dir.string());
             EXPECT_EQ(&context.options, &options);
             return {};
         }},
        {"licence",
         [](PreflightContext const&) -> Result<void> {
             return fail("expired");
         }},
    };
    auto const result = run_preflight(options, dir());
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().text(), "preflight licence: expired");
    EXPECT_EQ(seen, (std::vector<std::string>{dir().string()}));
}

TEST_F(Preflight, ABusyPortStopsTheRunBeforeTheCallersChecks) {
    base::Fd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), length), 0);
    ASSERT_EQ(::listen(listener.get(), 1), 0);
    ASSERT_EQ(::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address), &length), 0);
    std::uint16_t const port = ntohs(address.sin_port);

    RunOptions options;
    options.ports = {{.host = port, .guest = 80}};
    bool caller_ran = false;
    options.preflight_checks = {{"mine", [&](PreflightContext const&) -> Result<void> {
                                     caller_ran = true;
                                     return {};
                                 }}};
    auto const result = run_preflight(options, dir());
    ASSERT_FALSE(result);
    EXPECT_EQ(
        result.error().text().rfind("preflight ports: host port 127.0.0.1:" + std::to_string(port) +
                                        "/tcp is in use by pid " + std::to_string(::getpid()),
                                    0),
        0u)
        << result.error().text();
    EXPECT_FALSE(caller_ran);
}

TEST(DefaultChecks, NamesAndOrder) {
    std::vector<std::string> names;
    for (auto const& check : default_preflight_checks()) {
        names.push_back(check.name);
        EXPECT_TRUE(check.run);
    }
    EXPECT_EQ(names, (std::vector<std::string>{"shares", "kvm", "tools", "disk", "ports"}));
}

} // namespace
} // namespace microvm::preflight
