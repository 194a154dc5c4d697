#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "base/temp_dir.hpp"
#include "host/hypervisor/qemu/modules.hpp"
#include "support/test_support.hpp"

namespace microvm::hypervisor::qemu {
namespace {

namespace fs = std::filesystem;

// The shape of Debian 12's modules.dep for the virtio drivers.
constexpr char debian_dep[] =
    "kernel/fs/fuse/fuse.ko:\n"
    "kernel/fs/fuse/virtiofs.ko: kernel/drivers/virtio/virtio.ko "
    "kernel/drivers/virtio/virtio_ring.ko kernel/fs/fuse/fuse.ko\n"
    "kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko\n"
    "kernel/drivers/virtio/virtio_ring.ko:\n"
    "kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_legacy_dev.ko "
    "kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio.ko "
    "kernel/drivers/virtio/virtio_ring.ko\n"
    "kernel/drivers/virtio/virtio_pci_legacy_dev.ko:\n"
    "kernel/drivers/virtio/virtio_pci_modern_dev.ko:\n"
    "kernel/drivers/char/virtio_console.ko: kernel/drivers/virtio/virtio.ko "
    "kernel/drivers/virtio/virtio_ring.ko\n"
    "kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko "
    "kernel/net/core/failover.ko kernel/drivers/virtio/virtio.ko "
    "kernel/drivers/virtio/virtio_ring.ko\n"
    "kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko\n"
    "kernel/net/core/failover.ko:\n"
    "kernel/drivers/char/hw_random/virtio-rng.ko.xz: kernel/drivers/virtio/virtio.ko "
    "kernel/drivers/virtio/virtio_ring.ko\n";

struct FakeModules {
    base::TempDir dir;
    static FakeModules make(std::string const& dep, std::string const& builtin = "") {
        auto dir = base::TempDir::create("microvm-modules-test-");
        EXPECT_TRUE(dir);
        test::write_file(dir->path() / "modules.dep", dep);
        if (!builtin.empty()) {
            test::write_file(dir->path() / "modules.builtin", builtin);
        }
        return FakeModules{std::move(*dir)};
    }
};

std::vector<std::string> names(std::vector<KernelModule> const& modules) {
    std::vector<std::string> out;
    for (auto const& module : modules) {
        out.push_back(module.name);
    }
    return out;
}

using Names = std::vector<std::string>;

TEST(ResolveModules, DependenciesFirstEachOnce) {
    auto fake = FakeModules::make(debian_dep);
    auto modules = resolve_modules(fake.dir.path(), guest_base_modules);
    ASSERT_TRUE(modules) << modules.error().text();
    EXPECT_EQ(names(*modules),
              (Names{"virtio_ring", "virtio", "virtio_pci_modern_dev", "virtio_pci_legacy_dev",
                     "virtio_pci", "fuse", "virtiofs", "virtio_console"}));
    EXPECT_EQ(modules->front().path, fake.dir.path() / "kernel/drivers/virtio/virtio_ring.ko");
}

TEST(ResolveModules, NetworkAddsFailover) {
    auto fake = FakeModules::make(debian_dep);
    auto modules = resolve_modules(fake.dir.path(), guest_network_modules);
    ASSERT_TRUE(modules) << modules.error().text();
    EXPECT_EQ(names(*modules),
              (Names{"virtio_ring", "virtio", "failover", "net_failover", "virtio_net"}));
}

TEST(ResolveModules, DashAndUnderscoreAreTheSameName) {
    auto fake = FakeModules::make(debian_dep);
    std::vector<std::string_view> wanted = {"virtio-rng"};
    auto modules = resolve_modules(fake.dir.path(), wanted);
    ASSERT_TRUE(modules) << modules.error().text();
    EXPECT_EQ(names(*modules), (Names{"virtio_ring", "virtio", "virtio_rng"}));
    EXPECT_EQ(modules->back().path,
              fake.dir.path() / "kernel/drivers/char/hw_random/virtio-rng.ko.xz");
}

TEST(ResolveModules, BuiltinModulesAreSkipped) {
    auto fake = FakeModules::make("kernel/fs/fuse/virtiofs.ko: kernel/fs/fuse/fuse.ko\n"
                                  "kernel/fs/fuse/fuse.ko:\n",
                                  "kernel/drivers/virtio/virtio.ko\n"
                                  "kernel/drivers/virtio/virtio_ring.ko\n"
                                  "kernel/drivers/virtio/virtio_pci.ko\n"
                                  "kernel/drivers/char/virtio_console.ko\n");
    auto modules = resolve_modules(fake.dir.path(), guest_base_modules);
    ASSERT_TRUE(modules) << modules.error().text();
    EXPECT_EQ(names(*modules), (Names{"fuse", "virtiofs"}));
}

TEST(ResolveModules, MissingModuleIsAnError) {
    auto fake = FakeModules::make("kernel/fs/fuse/fuse.ko:\n");
    auto modules = resolve_modules(fake.dir.path(), guest_base_modules);
    ASSERT_FALSE(modules);
    EXPECT_EQ(modules.error().text(),
              "resolve kernel modules: kernel module virtio_pci not found in " +
                  (fake.dir.path() / "modules.dep").string());
}

TEST(ResolveModules, MissingDependencyNamesWhoNeedsIt) {
    auto fake = FakeModules::make("kernel/fs/fuse/virtiofs.ko: kernel/fs/fuse/fuse.ko\n");
    std::vector<std::string_view> wanted = {"virtiofs"};
    auto modules = resolve_modules(fake.dir.path(), wanted);
    ASSERT_FALSE(modules);
    EXPECT_NE(modules.error().text().find("kernel module fuse not found"), std::string::npos);
    EXPECT_NE(modules.error().text().find("(needed by virtiofs)"), std::string::npos);
}

TEST(ResolveModules, CycleIsAnError) {
    auto fake = FakeModules::make("a.ko: b.ko\nb.ko: a.ko\n");
    std::vector<std::string_view> wanted = {"a"};
    auto modules = resolve_modules(fake.dir.path(), wanted);
    ASSERT_FALSE(modules);
    EXPECT_NE(modules.error().text().find("cycle"), std::string::npos);
}

TEST(ResolveModules, MissingModulesDepIsAnError) {
    auto dir = base::TempDir::create("microvm-modules-test-");
    ASSERT_TRUE(dir);
    auto modules = resolve_modules(dir->path(), guest_base_modules);
    ASSERT_FALSE(modules);
    EXPECT_NE(modules.error().text().find("modules.dep"), std::string::npos);
}

TEST(ResolveModules, NoModulesDirMeansEverythingBuiltIn) {
    auto modules = resolve_modules({}, guest_base_modules);
    ASSERT_TRUE(modules);
    EXPECT_TRUE(modules->empty());
}

TEST(ModuleName, StripsSuffixAndCanonicalizes) {
    EXPECT_EQ(module_name_from_path("a/b/virtio-rng.ko.xz"), "virtio_rng");
    EXPECT_EQ(module_name_from_path("virtio_pci.ko"), "virtio_pci");
    EXPECT_EQ(module_name_from_path("x.ko.zst"), "x");
    EXPECT_EQ(module_name_from_path("modules.dep"), "");
    EXPECT_EQ(module_name_from_path(".ko"), "");
}

} // namespace
} // namespace microvm::hypervisor::qemu
