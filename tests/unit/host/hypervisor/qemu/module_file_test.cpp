#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "base/temp_dir.hpp"
#include "host/hypervisor/qemu/module_file.hpp"
#include "support/test_support.hpp"

namespace microvm::hypervisor::qemu {
namespace {

namespace fs = std::filesystem;

enum class Compression { xz, zstd, gzip };

// Writes `bytes` as a bare compressed stream, the way kmod's install step does.
void write_compressed(fs::path const& path, std::string const& bytes, Compression compression) {
    archive* a = archive_write_new();
    ASSERT_NE(a, nullptr);
    switch (compression) {
    case Compression::xz:
        archive_write_add_filter_xz(a);
        break;
    case Compression::zstd:
        archive_write_add_filter_zstd(a);
        break;
    case Compression::gzip:
        archive_write_add_filter_gzip(a);
        break;
    }
    archive_write_set_format_raw(a);
    ASSERT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK) << archive_error_string(a);
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, "module");
    archive_entry_set_filetype(entry, AE_IFREG);
    archive_entry_set_size(entry, static_cast<la_int64_t>(bytes.size()));
    ASSERT_EQ(archive_write_header(a, entry), ARCHIVE_OK) << archive_error_string(a);
    ASSERT_EQ(archive_write_data(a, bytes.data(), bytes.size()),
              static_cast<la_ssize_t>(bytes.size()));
    archive_entry_free(entry);
    ASSERT_EQ(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
}

std::string elf_like_bytes() {
    std::string bytes = "\x7f"
                        "ELF";
    for (int i = 0; i < 100000; ++i) {
        bytes.push_back(static_cast<char>(i * 7919 % 251));
    }
    return bytes;
}

class ModuleFile : public ::testing::Test {
protected:
    void SetUp() override {
        auto dir = base::TempDir::create("microvm-module-file-test-");
        ASSERT_TRUE(dir);
        m_dir.emplace(std::move(*dir));
    }
    fs::path path(std::string const& name) const { return m_dir->path() / name; }

    std::optional<base::TempDir> m_dir;
};

TEST_F(ModuleFile, PlainKoIsReadAsIs) {
    auto bytes = elf_like_bytes();
    test::write_file(path("virtio.ko"), bytes);
    auto read = read_module_file(path("virtio.ko"));
    ASSERT_TRUE(read) << read.error().text();
    EXPECT_EQ(*read, bytes);
}

TEST_F(ModuleFile, CompressedModulesAreDecompressed) {
    auto bytes = elf_like_bytes();
    write_compressed(path("a.ko.xz"), bytes, Compression::xz);
    write_compressed(path("b.ko.zst"), bytes, Compression::zstd);
    write_compressed(path("c.ko.gz"), bytes, Compression::gzip);
    for (auto name : {"a.ko.xz", "b.ko.zst", "c.ko.gz"}) {
        auto read = read_module_file(path(name));
        ASSERT_TRUE(read) << name << ": " << read.error().text();
        EXPECT_EQ(*read, bytes) << name;
    }
}

TEST_F(ModuleFile, UncompressedFileWithACompressedNameIsAnError) {
    test::write_file(path("fake.ko.xz"), elf_like_bytes());
    auto read = read_module_file(path("fake.ko.xz"));
    ASSERT_FALSE(read);
    EXPECT_NE(read.error().text().find("fake.ko.xz"), std::string::npos);
}

TEST_F(ModuleFile, MissingFileNamesThePath) {
    auto read = read_module_file(path("missing.ko"));
    ASSERT_FALSE(read);
    EXPECT_EQ(read.error().text(),
              "open " + path("missing.ko").string() + ": No such file or directory");
}

TEST_F(ModuleFile, UnknownSuffixIsAnError) {
    test::write_file(path("module.bin"), "x");
    EXPECT_FALSE(read_module_file(path("module.bin")));
}

} // namespace
} // namespace microvm::hypervisor::qemu
