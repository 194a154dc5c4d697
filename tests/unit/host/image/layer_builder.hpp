// Builds tar layers for the unpack tests with libarchive's writer, so hostile archives are
// real tar streams (pax format, optionally gzip or zstd), not hand-made bytes.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace microvm::image::test {

enum class Compression { none, gzip, zstd };

class LayerBuilder {
public:
    LayerBuilder& file(std::string name, std::string content, mode_t mode = 0644) {
        return add(
            {.name = std::move(name), .type = AE_IFREG, .mode = mode, .data = std::move(content)});
    }
    LayerBuilder& dir(std::string name, mode_t mode = 0755) {
        return add({.name = std::move(name), .type = AE_IFDIR, .mode = mode});
    }
    LayerBuilder& symlink(std::string name, std::string target) {
        return add(
            {.name = std::move(name), .type = AE_IFLNK, .mode = 0777, .link = std::move(target)});
    }
    LayerBuilder& hardlink(std::string name, std::string target) {
        return add({.name = std::move(name),
                    .type = AE_IFREG,
                    .mode = 0644,
                    .hardlink = std::move(target)});
    }
    LayerBuilder& special(std::string name, mode_t type) {
        return add({.name = std::move(name), .type = type, .mode = 0666});
    }
    // Owner, mtime and extended attributes of the entry added last.
    LayerBuilder& owner(std::uint32_t uid, std::uint32_t gid) {
        m_entries.back().uid = uid;
        m_entries.back().gid = gid;
        return *this;
    }
    LayerBuilder& mtime(std::int64_t seconds) {
        m_entries.back().mtime = seconds;
        return *this;
    }
    LayerBuilder& xattr(std::string name, std::string value) {
        m_entries.back().xattrs.emplace_back(std::move(name), std::move(value));
        return *this;
    }
    // Declares a size larger than the data; libarchive pads the entry with zeros up to it.
    LayerBuilder& declared_size(std::int64_t size) {
        m_entries.back().declared_size = size;
        return *this;
    }

    void write(std::filesystem::path const& path,
               Compression compression = Compression::none) const {
        std::unique_ptr<struct archive, int (*)(struct archive*)> a(archive_write_new(),
                                                                    archive_write_free);
        ASSERT_EQ(archive_write_set_format_pax_restricted(a.get()), ARCHIVE_OK);
        if (compression == Compression::gzip) {
            ASSERT_EQ(archive_write_add_filter_gzip(a.get()), ARCHIVE_OK);
        } else if (compression == Compression::zstd) {
            ASSERT_EQ(archive_write_add_filter_zstd(a.get()), ARCHIVE_OK);
        }
        ASSERT_EQ(archive_write_open_filename(a.get(), path.c_str()), ARCHIVE_OK)
            << archive_error_string(a.get());
        for (auto const& e : m_entries) {
            std::unique_ptr<archive_entry, void (*)(archive_entry*)> entry(archive_entry_new(),
                                                                           archive_entry_free);
            archive_entry_set_pathname(entry.get(), e.name.c_str());
            archive_entry_set_filetype(entry.get(), e.type);
            archive_entry_set_perm(entry.get(), e.mode);
            archive_entry_set_uid(entry.get(), e.uid);
            archive_entry_set_gid(entry.get(), e.gid);
            archive_entry_set_mtime(entry.get(), e.mtime, 0);
            if (!e.link.empty()) {
                archive_entry_set_symlink(entry.get(), e.link.c_str());
            }
            if (!e.hardlink.empty()) {
                archive_entry_set_hardlink(entry.get(), e.hardlink.c_str());
            }
            for (auto const& [name, value] : e.xattrs) {
                archive_entry_xattr_add_entry(entry.get(), name.c_str(), value.data(),
                                              value.size());
            }
            bool const has_data = e.type == AE_IFREG && e.hardlink.empty();
            archive_entry_set_size(entry.get(), e.declared_size >= 0 ? e.declared_size
                                                : has_data
                                                    ? static_cast<std::int64_t>(e.data.size())
                                                    : 0);
            // ARCHIVE_WARN: a name the locale cannot convert is stored as raw bytes.
            ASSERT_GE(archive_write_header(a.get(), entry.get()), ARCHIVE_WARN)
                << e.name << ": " << archive_error_string(a.get());
            if (has_data && !e.data.empty()) {
                ASSERT_GE(archive_write_data(a.get(), e.data.data(), e.data.size()), 0);
            }
        }
        ASSERT_EQ(archive_write_close(a.get()), ARCHIVE_OK);
    }

private:
    struct Entry {
        std::string name;
        mode_t type = AE_IFREG;
        mode_t mode = 0644;
        std::string data;
        std::string link;
        std::string hardlink;
        std::uint32_t uid = 0;
        std::uint32_t gid = 0;
        std::int64_t mtime = 1'700'000'000;
        std::int64_t declared_size = -1;
        std::vector<std::pair<std::string, std::string>> xattrs;
    };
    LayerBuilder& add(Entry entry) {
        m_entries.push_back(std::move(entry));
        return *this;
    }
    std::vector<Entry> m_entries;
};

} // namespace microvm::image::test
