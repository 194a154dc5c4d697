// A libarchive reader over one layer blob: tar, uncompressed or compressed with gzip or zstd.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "base/error.hpp"
#include "base/fd.hpp"

struct archive;
struct archive_entry;

namespace microvm::image {

class ArchiveReader {
public:
    // Opens `path` and prepares to read it as a tar stream. The compression is detected from
    // the content; only gzip and zstd are enabled, both built into libarchive, so no external
    // decompressor program is ever started on image data. Fails when the file cannot be
    // opened or libarchive lacks one of these filters.
    static Result<ArchiveReader> open(std::filesystem::path const& path);

    // The next entry's header, or nullptr at the end of the archive. The entry stays valid
    // until the next call. Fails on a corrupt archive or stream, naming the file.
    Result<archive_entry*> next();

    // One block of the current entry's data: `offset` is where it belongs in the file (a
    // sparse entry skips ahead), `size` 0 means the entry's data is exhausted.
    struct Block {
        void const* data = nullptr;
        std::size_t size = 0;
        std::int64_t offset = 0;
    };
    Result<Block> read_block();

    // Uncompressed bytes consumed so far (headers and padding included).
    std::uint64_t uncompressed_bytes();

    std::filesystem::path const& path() const { return m_path; }

private:
    struct Free {
        void operator()(struct archive* a) const;
    };
    ArchiveReader(std::filesystem::path path, base::Fd fd, struct archive* a)
        : m_path(std::move(path)), m_fd(std::move(fd)), m_archive(a) {}
    Error archive_error(std::string const& op);

    std::filesystem::path m_path;
    base::Fd m_fd; // declared before m_archive, so it is closed after libarchive is done
    std::unique_ptr<struct archive, Free> m_archive;
};

} // namespace microvm::image
