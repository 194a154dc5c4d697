#include "host/hypervisor/qemu/module_file.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <fstream>
#include <memory>

#include "base/sys.hpp"

namespace microvm::hypervisor::qemu {
namespace {

struct ArchiveReadDeleter {
    void operator()(archive* a) const { archive_read_free(a); }
};
using ArchiveReader = std::unique_ptr<archive, ArchiveReadDeleter>;

Result<std::string> read_plain(std::filesystem::path const& path) {
    return base::sys::read_file(path, max_module_bytes);
}

// A compressed module is a bare compressed stream; libarchive's "raw" format presents it as
// one entry holding the decompressed bytes.
Result<std::string> read_compressed(std::filesystem::path const& path) {
    ArchiveReader reader(archive_read_new());
    if (!reader) {
        return fail("archive_read_new: out of memory");
    }
    archive* a = reader.get();
    archive_read_support_filter_xz(a);
    archive_read_support_filter_zstd(a);
    archive_read_support_filter_gzip(a);
    archive_read_support_format_raw(a);
    auto error = [&](std::string const& op) {
        char const* why = archive_error_string(a);
        return fail(path.string() + ": " + op + ": " + (why != nullptr ? why : "unknown error"));
    };
    if (archive_read_open_filename(a, path.c_str(), 1 << 16) != ARCHIVE_OK) {
        return error("open");
    }
    archive_entry* entry = nullptr;
    if (archive_read_next_header(a, &entry) != ARCHIVE_OK) {
        return error("decompress");
    }
    // The raw format also accepts an uncompressed file; a ".ko.xz" that is not compressed is
    // a broken install, not something to load.
    if (archive_filter_count(a) < 2) {
        return fail(path.string() + ": not compressed although its name says so");
    }
    std::string bytes;
    char buffer[1 << 16];
    for (;;) {
        la_ssize_t n = archive_read_data(a, buffer, sizeof buffer);
        if (n < 0) {
            return error("decompress");
        }
        if (n == 0) {
            break;
        }
        bytes.append(buffer, static_cast<std::size_t>(n));
        if (bytes.size() > max_module_bytes) {
            return fail(path.string() + ": decompresses to more than " +
                        std::to_string(max_module_bytes) + " bytes");
        }
    }
    return bytes;
}

} // namespace

Result<std::string> read_module_file(std::filesystem::path const& path) {
    auto name = path.filename().string();
    if (name.ends_with(".ko")) {
        return read_plain(path);
    }
    if (name.ends_with(".ko.xz") || name.ends_with(".ko.zst") || name.ends_with(".ko.gz")) {
        return read_compressed(path);
    }
    return fail(path.string() + ": not a kernel module file (.ko, .ko.xz, .ko.zst or .ko.gz)");
}

} // namespace microvm::hypervisor::qemu
