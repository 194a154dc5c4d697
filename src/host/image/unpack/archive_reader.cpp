#include "host/image/unpack/archive_reader.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>

namespace microvm::image {

namespace {

// Large enough that libarchive reads a layer in few system calls.
constexpr std::size_t read_block_size = 256 * 1024;

} // namespace

void ArchiveReader::Free::operator()(struct archive* a) const {
    archive_read_free(a);
}

Result<ArchiveReader> ArchiveReader::open(std::filesystem::path const& path) {
    std::string const op = "open layer " + path.string();
    base::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!fd) {
        return fail_errno(op);
    }
    struct archive* a = archive_read_new();
    if (a == nullptr) {
        return fail(op + ": archive_read_new failed");
    }
    ArchiveReader reader(path, std::move(fd), a);
    // ARCHIVE_WARN from a filter means "not built in, will run an external program", which
    // we refuse: only ARCHIVE_OK is accepted.
    if (archive_read_support_filter_gzip(a) != ARCHIVE_OK ||
        archive_read_support_filter_zstd(a) != ARCHIVE_OK ||
        archive_read_support_format_tar(a) != ARCHIVE_OK) {
        return fail(op + ": libarchive lacks built-in gzip, zstd or tar support");
    }
    if (archive_read_open_fd(a, reader.m_fd.get(), read_block_size) != ARCHIVE_OK) {
        return std::unexpected(reader.archive_error("read"));
    }
    return reader;
}

Error ArchiveReader::archive_error(std::string const& op) {
    char const* message = archive_error_string(m_archive.get());
    std::string text = "layer " + m_path.string() + ": " + op + ": " +
                       (message != nullptr ? message : "unknown libarchive error");
    // libarchive reports format problems as EILSEQ or EINVAL, which would read as nonsense
    // after its own message; real I/O errors are in the message too.
    return Error::message(text);
}

Result<archive_entry*> ArchiveReader::next() {
    struct archive_entry* entry = nullptr;
    int const status = archive_read_next_header(m_archive.get(), &entry);
    if (status == ARCHIVE_EOF) {
        return nullptr;
    }
    // ARCHIVE_WARN is a header libarchive could read with a caveat (say, a name it could not
    // convert to the locale); the entry is still usable, and its name is checked anyway.
    if (status != ARCHIVE_OK && status != ARCHIVE_WARN) {
        return std::unexpected(archive_error("read entry header"));
    }
    return entry;
}

Result<ArchiveReader::Block> ArchiveReader::read_block() {
    Block block;
    la_int64_t offset = 0;
    int const status = archive_read_data_block(m_archive.get(), &block.data, &block.size, &offset);
    if (status == ARCHIVE_EOF) {
        return Block{};
    }
    if (status != ARCHIVE_OK && status != ARCHIVE_WARN) {
        return std::unexpected(archive_error("read entry data"));
    }
    block.offset = offset;
    return block;
}

std::uint64_t ArchiveReader::uncompressed_bytes() {
    la_int64_t const bytes = archive_filter_bytes(m_archive.get(), 0);
    return bytes > 0 ? static_cast<std::uint64_t>(bytes) : 0;
}

} // namespace microvm::image
