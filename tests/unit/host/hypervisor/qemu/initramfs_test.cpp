#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/temp_dir.hpp"
#include "contract/guest_protocol.hpp"
#include "host/hypervisor/qemu/initramfs.hpp"
#include "support/test_support.hpp"

namespace microvm::hypervisor::qemu {
namespace {

namespace fs = std::filesystem;

struct Member {
    mode_t type = 0;
    mode_t perm = 0;
    std::string bytes;
    dev_t rdev_major = 0;
    dev_t rdev_minor = 0;
};

// Reads an initramfs back with libarchive, in archive order.
std::vector<std::pair<std::string, Member>> read_archive(fs::path const& path) {
    std::vector<std::pair<std::string, Member>> members;
    archive* a = archive_read_new();
    archive_read_support_filter_gzip(a);
    archive_read_support_format_cpio(a);
    EXPECT_EQ(archive_read_open_filename(a, path.c_str(), 1 << 16), ARCHIVE_OK)
        << archive_error_string(a);
    archive_entry* entry = nullptr;
    while (archive_read_next_header(a, &entry) == ARCHIVE_OK) {
        EXPECT_EQ(archive_format(a), ARCHIVE_FORMAT_CPIO_SVR4_NOCRC) << "not newc";
        Member member{.type = archive_entry_filetype(entry),
                      .perm = archive_entry_perm(entry),
                      .bytes = {},
                      .rdev_major = archive_entry_rdevmajor(entry),
                      .rdev_minor = archive_entry_rdevminor(entry)};
        EXPECT_EQ(archive_entry_uid(entry), 0);
        EXPECT_EQ(archive_entry_gid(entry), 0);
        char buffer[4096];
        la_ssize_t n = 0;
        while ((n = archive_read_data(a, buffer, sizeof buffer)) > 0) {
            member.bytes.append(buffer, static_cast<std::size_t>(n));
        }
        members.emplace_back(archive_entry_pathname(entry), std::move(member));
    }
    archive_read_free(a);
    return members;
}

class Initramfs : public ::testing::Test {
protected:
    void SetUp() override {
        auto dir = base::TempDir::create("microvm-initramfs-test-");
        ASSERT_TRUE(dir);
        m_dir.emplace(std::move(*dir));
        fs::create_directories(root() / "data");
        fs::create_directories(root() / "modules");
        test::write_file(root() / "microvm-init", "#!fake init");
        test::write_file(root() / "modules/virtio_ring.ko", "ring bytes");
        test::write_file(root() / "modules/virtio.ko", "virtio bytes");
    }
    fs::path root() const { return m_dir->path(); }

    InitramfsRequest request() const {
        return InitramfsRequest{
            .data_dir = root() / "data",
            .init_binary = root() / "microvm-init",
            .kernel_version = "6.1.0-56-amd64",
            .modules = {{.name = "virtio_ring", .path = root() / "modules/virtio_ring.ko"},
                        {.name = "virtio", .path = root() / "modules/virtio.ko"}},
        };
    }

    std::vector<std::string> cache_entries() const {
        std::vector<std::string> names;
        for (auto const& entry : fs::directory_iterator(root() / "data/initramfs")) {
            names.push_back(entry.path().filename().string());
        }
        return names;
    }

    std::optional<base::TempDir> m_dir;
};

TEST_F(Initramfs, ContainsInitModulesAndTheLoadOrder) {
    auto path = ensure_initramfs(request());
    ASSERT_TRUE(path) << path.error().text();
    EXPECT_EQ(path->parent_path(), root() / "data/initramfs");
    EXPECT_TRUE(path->filename().string().ends_with(".cpio.gz"));
    EXPECT_EQ(path->filename().string().size(), 64 + std::string(".cpio.gz").size());

    auto members = read_archive(*path);
    std::map<std::string, Member> by_name(members.begin(), members.end());
    EXPECT_EQ(by_name.size(), members.size()) << "duplicate members";

    for (auto dir : {"dev", "etc", "lib", "lib/modules", "newroot", "proc", "sys"}) {
        ASSERT_TRUE(by_name.contains(dir)) << dir;
        EXPECT_EQ(by_name[dir].type, AE_IFDIR) << dir;
        EXPECT_EQ(by_name[dir].perm, 0755u) << dir;
    }
    ASSERT_TRUE(by_name.contains("init"));
    EXPECT_EQ(by_name["init"].type, AE_IFREG);
    EXPECT_EQ(by_name["init"].perm, 0755u);
    EXPECT_EQ(by_name["init"].bytes, "#!fake init");

    ASSERT_TRUE(by_name.contains("dev/console"));
    EXPECT_EQ(by_name["dev/console"].type, AE_IFCHR);
    EXPECT_EQ(by_name["dev/console"].rdev_major, 5u);
    EXPECT_EQ(by_name["dev/console"].rdev_minor, 1u);

    EXPECT_EQ(by_name["lib/modules/virtio_ring.ko"].bytes, "ring bytes");
    EXPECT_EQ(by_name["lib/modules/virtio_ring.ko"].perm, 0644u);
    EXPECT_EQ(by_name["lib/modules/virtio.ko"].bytes, "virtio bytes");

    std::string list_member = std::string(contract::initramfs_module_list).substr(1);
    ASSERT_TRUE(by_name.contains(list_member));
    EXPECT_EQ(by_name[list_member].bytes, "virtio_ring.ko\nvirtio.ko\n");

    // A directory comes before anything inside it: the kernel does not create parents.
    std::map<std::string, std::size_t> position;
    for (std::size_t i = 0; i < members.size(); ++i) {
        position[members[i].first] = i;
    }
    for (auto const& [name, index] : position) {
        auto parent = fs::path(name).parent_path().string();
        if (!parent.empty()) {
            ASSERT_TRUE(position.contains(parent)) << name;
            EXPECT_LT(position[parent], index) << name;
        }
    }
}

TEST_F(Initramfs, CacheHitReturnsTheSameFileWithoutRewriting) {
    auto first = ensure_initramfs(request());
    ASSERT_TRUE(first) << first.error().text();
    struct stat before {};
    ASSERT_EQ(::stat(first->c_str(), &before), 0);

    auto second = ensure_initramfs(request());
    ASSERT_TRUE(second) << second.error().text();
    EXPECT_EQ(*second, *first);
    struct stat after {};
    ASSERT_EQ(::stat(second->c_str(), &after), 0);
    EXPECT_EQ(after.st_ino, before.st_ino);
    EXPECT_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
    EXPECT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
    EXPECT_EQ(cache_entries().size(), 1u);
}

TEST_F(Initramfs, ChangedInputsGiveANewKey) {
    auto first = ensure_initramfs(request());
    ASSERT_TRUE(first) << first.error().text();

    test::write_file(root() / "microvm-init", "#!fake init, rebuilt");
    auto new_init = ensure_initramfs(request());
    ASSERT_TRUE(new_init) << new_init.error().text();
    EXPECT_NE(*new_init, *first);

    auto other_kernel = request();
    other_kernel.kernel_version = "6.1.0-57-amd64";
    auto new_kernel = ensure_initramfs(other_kernel);
    ASSERT_TRUE(new_kernel);
    EXPECT_NE(*new_kernel, *new_init);

    test::write_file(root() / "modules/virtio.ko", "virtio bytes, rebuilt");
    auto new_module = ensure_initramfs(request());
    ASSERT_TRUE(new_module);
    EXPECT_NE(*new_module, *new_init);

    auto fewer = request();
    fewer.modules.pop_back();
    auto fewer_modules = ensure_initramfs(fewer);
    ASSERT_TRUE(fewer_modules);
    EXPECT_NE(*fewer_modules, *new_module);
    EXPECT_EQ(cache_entries().size(), 5u);
}

TEST_F(Initramfs, ConcurrentBuildersPublishOneCompleteFile) {
    std::vector<std::optional<Result<fs::path>>> results(4);
    std::vector<std::thread> builders;
    for (auto& result : results) {
        builders.emplace_back([&] { result.emplace(ensure_initramfs(request())); });
    }
    for (auto& builder : builders) {
        builder.join();
    }
    for (auto& result : results) {
        ASSERT_TRUE(*result) << (*result).error().text();
        EXPECT_EQ(**result, **results[0]);
    }
    EXPECT_EQ(cache_entries().size(), 1u) << "no temporary file left behind";
    EXPECT_EQ(read_archive(**results[0]).size(), 12u);
}

TEST_F(Initramfs, MissingInitIsAnErrorAndLeavesNothing) {
    auto req = request();
    req.init_binary = root() / "nothing";
    auto path = ensure_initramfs(req);
    ASSERT_FALSE(path);
    EXPECT_EQ(path.error().text(), "build initramfs: read microvm-init: open " +
                                       (root() / "nothing").string() +
                                       ": No such file or directory");
    EXPECT_FALSE(fs::exists(root() / "data/initramfs"));
}

TEST_F(Initramfs, MissingModuleNamesIt) {
    auto req = request();
    req.modules[1].path = root() / "modules/gone.ko";
    auto path = ensure_initramfs(req);
    ASSERT_FALSE(path);
    EXPECT_NE(path.error().text().find("read kernel module virtio"), std::string::npos);
}

} // namespace
} // namespace microvm::hypervisor::qemu
