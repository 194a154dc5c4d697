#include <gtest/gtest.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "base/temp_dir.hpp"
#include "host/hypervisor/qemu/bzimage.hpp"
#include "host/hypervisor/qemu/kernel.hpp"
#include "support/readdir_fault.hpp"
#include "support/test_support.hpp"

namespace microvm::hypervisor::qemu {
namespace {

namespace fs = std::filesystem;

// A minimal bzImage: the boot protocol header and a version string.
std::string fake_bzimage(std::string const& banner) {
    std::string image(0x400, '\0');
    image.replace(0x202, 4, "HdrS");
    image[0x206] = 0x0f; // protocol 2.15
    image[0x207] = 0x02;
    std::size_t const string_at = 0x300;
    image[0x20e] = static_cast<char>((string_at - 0x200) & 0xff);
    image[0x20f] = static_cast<char>((string_at - 0x200) >> 8);
    image.replace(string_at, banner.size(), banner);
    return image;
}

// A fake /boot, /lib/modules and microvm kernel cache.
struct FakeSystem {
    base::TempDir dir;
    fs::path boot() const { return dir.path() / "boot"; }
    fs::path modules() const { return dir.path() / "modules"; }

    static FakeSystem make() {
        auto dir = base::TempDir::create("microvm-kernel-test-");
        EXPECT_TRUE(dir);
        FakeSystem system{std::move(*dir)};
        fs::create_directories(system.boot());
        fs::create_directories(system.modules());
        return system;
    }
    void kernel(std::string const& version, bool with_modules) const {
        test::write_file(boot() / ("vmlinuz-" + version), "not really a kernel");
        if (with_modules) {
            fs::create_directories(modules() / version);
        }
    }
    fs::path cache() const { return dir.path() / "cache"; }
    KernelSearch search(fs::path explicit_kernel = {}) const {
        return KernelSearch{.explicit_kernel = explicit_kernel,
                            .cache_roots = {cache()},
                            .fragment_hash = std::string(fragment_hash),
                            .boot_dir = boot(),
                            .modules_root = modules()};
    }
    // What scripts/build-kernel.sh leaves: <cache>/<source version>-<hash>/bzImage.
    fs::path cached_kernel(std::string const& key, std::string const& banner) const {
        auto const image = cache() / key / "bzImage";
        fs::create_directories(image.parent_path());
        test::write_file(image, fake_bzimage(banner));
        return image;
    }
    static constexpr char fragment_hash[] = "0123456789abcdef";
};

TEST(KernelVersions, CompareNumbersAsNumbers) {
    EXPECT_GT(compare_kernel_versions("6.1.0-10-amd64", "6.1.0-9-amd64"), 0);
    EXPECT_LT(compare_kernel_versions("5.10.0-28-amd64", "6.1.0-9-amd64"), 0);
    EXPECT_GT(compare_kernel_versions("6.10.0-1-amd64", "6.9.0-1-amd64"), 0);
    EXPECT_EQ(compare_kernel_versions("6.1.0-56-amd64", "6.1.0-56-amd64"), 0);
    EXPECT_GT(compare_kernel_versions("6.1.0-56-amd64-x", "6.1.0-56-amd64"), 0);
    EXPECT_EQ(compare_kernel_versions("6.01", "6.1"), 0);
    EXPECT_GT(compare_kernel_versions("6.1.99999999999999999999999", "6.1.9"), 0);
}

TEST(FindGuestKernel, PicksTheNewestVersionThatHasModules) {
    auto system = FakeSystem::make();
    system.kernel("6.1.0-9-amd64", true);
    system.kernel("6.1.0-10-amd64", true);
    system.kernel("6.1.0-11-amd64", false); // modules removed: not bootable for us
    test::write_file(system.boot() / "config-6.1.0-12-amd64", "");
    fs::create_directories(system.modules() / "6.1.0-12-amd64");

    auto kernel = find_guest_kernel(system.search());
    ASSERT_TRUE(kernel) << kernel.error().text();
    EXPECT_EQ(kernel->kernel, system.boot() / "vmlinuz-6.1.0-10-amd64");
    EXPECT_EQ(kernel->version, "6.1.0-10-amd64");
    EXPECT_EQ(kernel->modules_dir, system.modules() / "6.1.0-10-amd64");
}

TEST(FindGuestKernel, NoneIsAClearError) {
    auto system = FakeSystem::make();
    system.kernel("6.1.0-9-amd64", false);
    auto kernel = find_guest_kernel(system.search());
    ASSERT_FALSE(kernel);
    EXPECT_EQ(kernel.error().text(), "no guest kernel found: build the microvm kernel (make "
                                     "kernel), install linux-image-amd64 or pass --kernel");
}

TEST(FindGuestKernel, MissingBootDirIsTheSameError) {
    auto system = FakeSystem::make();
    auto search = system.search();
    search.boot_dir = system.dir.path() / "nothing";
    auto kernel = find_guest_kernel(search);
    ASSERT_FALSE(kernel);
    EXPECT_TRUE(
        kernel.error().text().starts_with("no guest kernel found: build the microvm kernel (make "
                                          "kernel), install linux-image-amd64 or pass --kernel"));
}

// Used to throw (a range-for over a directory_iterator): reading /boot fails part way.
TEST(FindGuestKernel, ABootDirThatFailsPartWayIsAnError) {
    auto system = FakeSystem::make();
    system.kernel("6.1.0-9-amd64", true);
    system.kernel("6.1.0-10-amd64", true);
    test::ReaddirFault fault(system.boot(), 1, EIO);
    auto kernel = find_guest_kernel(system.search());
    ASSERT_FALSE(kernel);
    EXPECT_EQ(kernel.error().errno_value(), EIO);
    EXPECT_NE(kernel.error().text().find("(read " + system.boot().string() + ")"),
              std::string::npos)
        << kernel.error().text();
}

TEST(FindGuestKernel, ExplicitKernelMustExist) {
    auto system = FakeSystem::make();
    system.kernel("6.1.0-9-amd64", true);
    auto missing = system.dir.path() / "bzImage";
    auto kernel = find_guest_kernel(system.search(missing));
    ASSERT_FALSE(kernel);
    EXPECT_EQ(kernel.error().text(), "guest kernel not found: " + missing.string());

    auto dir_kernel = find_guest_kernel(system.search(system.boot()));
    ASSERT_FALSE(dir_kernel);
    EXPECT_EQ(dir_kernel.error().text(),
              "guest kernel is not a regular file: " + system.boot().string());
}

TEST(FindGuestKernel, ExplicitKernelWithoutModules) {
    auto system = FakeSystem::make();
    auto image = system.dir.path() / "bzImage";
    test::write_file(image, "a kernel with virtio built in");
    auto kernel = find_guest_kernel(system.search(image));
    ASSERT_TRUE(kernel) << kernel.error().text();
    EXPECT_EQ(kernel->kernel, image);
    EXPECT_TRUE(kernel->modules_dir.empty());
}

TEST(FindGuestKernel, RelativeExplicitKernelBecomesAbsolute) {
    auto system = FakeSystem::make();
    test::write_file(system.dir.path() / "bzImage", "kernel");
    auto cwd = fs::current_path();
    fs::current_path(system.dir.path());
    auto kernel = find_guest_kernel(system.search("bzImage"));
    fs::current_path(cwd);
    ASSERT_TRUE(kernel) << kernel.error().text();
    EXPECT_EQ(kernel->kernel, system.dir.path() / "bzImage");
}

TEST(FindGuestKernel, ExplicitKernelFindsItsModulesByTheBootHeader) {
    auto system = FakeSystem::make();
    fs::create_directories(system.modules() / "6.1.0-42-custom");
    auto image = system.dir.path() / "bzImage";
    test::write_file(image, fake_bzimage("6.1.0-42-custom (builder@host) #1 SMP"));
    auto kernel = find_guest_kernel(system.search(image));
    ASSERT_TRUE(kernel) << kernel.error().text();
    EXPECT_EQ(kernel->version, "6.1.0-42-custom");
    EXPECT_EQ(kernel->modules_dir, system.modules() / "6.1.0-42-custom");
}

TEST(FindGuestKernel, ExplicitKernelFindsItsModulesByItsName) {
    auto system = FakeSystem::make();
    system.kernel("6.1.0-9-amd64", true);
    auto kernel = find_guest_kernel(system.search(system.boot() / "vmlinuz-6.1.0-9-amd64"));
    ASSERT_TRUE(kernel) << kernel.error().text();
    EXPECT_EQ(kernel->modules_dir, system.modules() / "6.1.0-9-amd64");
}

TEST(FindGuestKernel, VersionWithSlashesNeverNamesAModulesDir) {
    auto system = FakeSystem::make();
    fs::create_directories(system.dir.path() / "escape");
    auto image = system.dir.path() / "bzImage";
    test::write_file(image, fake_bzimage("../escape #1"));
    auto kernel = find_guest_kernel(system.search(image));
    ASSERT_TRUE(kernel) << kernel.error().text();
    EXPECT_TRUE(kernel->modules_dir.empty());
}

TEST(FindGuestKernel, PrefersTheCachedMicrovmKernelToADistributionOne) {
    auto system = FakeSystem::make();
    system.kernel("6.1.0-9-amd64", true);
    auto const image =
        system.cached_kernel("6.1.192-3-0123456789abcdef", "6.1.192-microvm (root@host) #1");
    auto kernel = find_guest_kernel(system.search());
    ASSERT_TRUE(kernel) << kernel.error().text();
    EXPECT_EQ(kernel->kernel, image);
    EXPECT_EQ(kernel->version, "6.1.192-microvm");
    EXPECT_TRUE(kernel->microvm);
    EXPECT_TRUE(kernel->modules_dir.empty());
    EXPECT_EQ(describe(*kernel), "6.1.192-microvm (" + image.string() + ")");
}

// The uncompressed vmlinux next to the bzImage boots through qemu's PVH entry point, without
// decompressing; its release still comes from the bzImage's header.
TEST(FindGuestKernel, PrefersTheCachedUncompressedKernelNextToTheBzImage) {
    auto system = FakeSystem::make();
    auto const image = system.cached_kernel("6.1.192-3-0123456789abcdef", "6.1.192-microvm #1");
    auto const vmlinux = image.parent_path() / "vmlinux";
    test::write_file(vmlinux, "\x7f"
                              "ELF");
    auto kernel = find_guest_kernel(system.search());
    ASSERT_TRUE(kernel) << kernel.error().text();
    EXPECT_EQ(kernel->kernel, vmlinux);
    EXPECT_EQ(kernel->version, "6.1.192-microvm");
    EXPECT_TRUE(kernel->microvm);
}

TEST(FindGuestKernel, AKernelOfAnotherFragmentIsNotUsed) {
    auto system = FakeSystem::make();
    system.kernel("6.1.0-9-amd64", true);
    system.cached_kernel("6.1.192-3-fedcba9876543210", "6.1.192-microvm #1");
    auto kernel = find_guest_kernel(system.search());
    ASSERT_TRUE(kernel) << kernel.error().text();
    EXPECT_EQ(kernel->kernel, system.boot() / "vmlinuz-6.1.0-9-amd64");
    EXPECT_FALSE(kernel->microvm);
    EXPECT_EQ(kernel->modules_dir, system.modules() / "6.1.0-9-amd64");
}

TEST(FindGuestKernel, AnExplicitKernelOverridesTheCachedOne) {
    auto system = FakeSystem::make();
    system.kernel("6.1.0-9-amd64", true);
    system.cached_kernel("6.1.192-3-0123456789abcdef", "6.1.192-microvm #1");
    auto const distro = system.boot() / "vmlinuz-6.1.0-9-amd64";
    auto kernel = find_guest_kernel(system.search(distro));
    ASSERT_TRUE(kernel) << kernel.error().text();
    EXPECT_EQ(kernel->kernel, distro);
    EXPECT_FALSE(kernel->microvm);
    EXPECT_EQ(kernel->modules_dir, system.modules() / "6.1.0-9-amd64");
}

TEST(FindGuestKernel, AnExplicitMicrovmKernelIsKnownByItsRelease) {
    auto system = FakeSystem::make();
    // Even with a modules directory of the same name, the microvm kernel loads none.
    fs::create_directories(system.modules() / "6.1.192-microvm");
    auto const image = system.dir.path() / "elsewhere" / "bzImage";
    fs::create_directories(image.parent_path());
    test::write_file(image, fake_bzimage("6.1.192-microvm (root@host) #1"));
    auto kernel = find_guest_kernel(system.search(image));
    ASSERT_TRUE(kernel) << kernel.error().text();
    EXPECT_TRUE(kernel->microvm);
    EXPECT_TRUE(kernel->modules_dir.empty());
}

TEST(FindGuestKernel, NoCacheRootsMeansNoCachedKernel) {
    auto system = FakeSystem::make();
    system.kernel("6.1.0-9-amd64", true);
    system.cached_kernel("6.1.192-3-0123456789abcdef", "6.1.192-microvm #1");
    auto search = system.search();
    search.cache_roots.clear();
    auto kernel = find_guest_kernel(search);
    ASSERT_TRUE(kernel) << kernel.error().text();
    EXPECT_FALSE(kernel->microvm);
}

// Drops the capabilities that let root read any file, as an ordinary user is.
bool drop_read_override() {
    __user_cap_header_struct header{.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    __user_cap_data_struct data[2] = {};
    if (::syscall(SYS_capget, &header, data) != 0) {
        return false;
    }
    for (int cap : {CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH}) {
        data[cap / 32].effective &= ~(1u << (cap % 32));
        data[cap / 32].permitted &= ~(1u << (cap % 32));
    }
    return ::syscall(SYS_capset, &header, data) == 0;
}

// An Ubuntu-style 0600 kernel is a clear error for a user who cannot read it.
TEST(FindGuestKernel, UnreadableKernelIsAClearError) {
    auto system = FakeSystem::make();
    system.kernel("6.1.0-9-amd64", true);
    auto kernel_path = system.boot() / "vmlinuz-6.1.0-9-amd64";
    ::chmod(kernel_path.c_str(), 0);
    std::string const expected = "guest kernel " + kernel_path.string() +
                                 " is not readable (pass --kernel with a readable copy): "
                                 "Permission denied";
    pid_t pid = ::fork();
    if (pid == 0) {
        if (!drop_read_override()) {
            ::_exit(10);
        }
        auto found = find_guest_kernel(system.search());
        auto explicit_kernel = find_guest_kernel(system.search(kernel_path));
        bool ok = !found && found.error().text() == expected && !explicit_kernel &&
                  explicit_kernel.error().text() == expected;
        ::_exit(ok ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "10: could not drop capabilities; 1: wrong result";
}

TEST(BzImage, NotABzImageIsAnError) {
    auto system = FakeSystem::make();
    auto image = system.dir.path() / "vmlinux";
    test::write_file(image, std::string(0x400, 'x'));
    auto release = read_bzimage_release(image);
    ASSERT_FALSE(release);
    EXPECT_NE(release.error().text().find("not a bzImage"), std::string::npos);
}

TEST(KernelOverride, OptionThenEnvironment) {
    ::setenv("MICROVM_KERNEL", "/from/env", 1);
    EXPECT_EQ(kernel_override("/from/option"), fs::path("/from/option"));
    EXPECT_EQ(kernel_override({}), fs::path("/from/env"));
    ::unsetenv("MICROVM_KERNEL");
    EXPECT_TRUE(kernel_override({}).empty());
}

TEST(FindGuestKernel, ThisMachinesKernelIsFoundWhenInstalled) {
    if (!fs::exists("/lib/modules")) {
        GTEST_SKIP() << "no distribution kernel installed";
    }
    auto kernel = find_guest_kernel(KernelSearch{});
    ASSERT_TRUE(kernel) << kernel.error().text();
    EXPECT_TRUE(fs::exists(kernel->modules_dir / "modules.dep"));
    auto release = read_bzimage_release(kernel->kernel);
    ASSERT_TRUE(release) << release.error().text();
    EXPECT_EQ(*release, kernel->version);
}

} // namespace
} // namespace microvm::hypervisor::qemu
