#include "host/image/unpack/layer.hpp"

#include <archive_entry.h>

#include "base/safe_tree.hpp"
#include "host/image/unpack/archive_reader.hpp"
#include "host/image/unpack/entry_name.hpp"
#include "host/image/unpack/metadata.hpp"

namespace microvm::image {

namespace {

Result<void> check_totals(UnpackStats const& stats, UnpackLimits const& limits,
                          std::uint64_t stream_bytes) {
    if (stats.entries > limits.max_entries) {
        return fail("more than " + std::to_string(limits.max_entries) +
                    " entries in the image's layers (the cap on entries)");
    }
    if (stats.bytes > limits.max_total_bytes || stream_bytes > limits.max_total_bytes) {
        return fail("the image's layers hold more than " + std::to_string(limits.max_total_bytes) +
                    " bytes of data (the cap on unpacked size)");
    }
    return {};
}

Result<void> apply_entry(archive_entry* entry, std::string const& name, ArchiveReader& reader,
                         TreeWriter& writer, UnpackLimits const& limits, UnpackStats& stats) {
    auto const split = TRY(base::split_in_root(name));
    auto const whiteout = TRY(classify_whiteout(split.leaf));
    switch (whiteout.kind) {
    case WhiteoutKind::plain:
        return writer.whiteout(split.parent, whiteout.target);
    case WhiteoutKind::opaque:
        return writer.opaque(split.parent);
    case WhiteoutKind::meta:
        return {};
    case WhiteoutKind::none:
        break;
    }

    mode_t const type = archive_entry_filetype(entry);
    if (name.empty()) {
        if (type == AE_IFDIR) {
            return {}; // the root keeps the mode and owner the unpacker gives it
        }
        return fail("would replace the root directory");
    }
    if (std::string const target = entry_hardlink(entry); !target.empty()) {
        auto const normal =
            TRY_CTX(normalize_entry_name(target, limits.max_path_length), "hard link target");
        if (normal.empty()) {
            return fail("hard link to the root directory");
        }
        return writer.make_hardlink(name, normal);
    }
    EntryMetadata const meta = metadata_of(entry);
    switch (type) {
    case AE_IFREG:
        return writer.write_file(name, meta, reader, archive_entry_size(entry));
    case AE_IFDIR:
        return writer.make_directory(name, meta);
    case AE_IFLNK: {
        std::string const target = entry_symlink(entry);
        if (target.empty() || target.size() > limits.max_path_length) {
            return fail("symlink target is empty or longer than " +
                        std::to_string(limits.max_path_length) + " bytes");
        }
        return writer.make_symlink(name, target, meta);
    }
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO:
    case AE_IFSOCK:
        ++stats.skipped_special;
        return {};
    default:
        return fail("unsupported entry type " + std::to_string(type));
    }
}

} // namespace

Result<void> apply_layer(std::filesystem::path const& path, TreeWriter& writer,
                         UnpackLimits const& limits, UnpackStats& stats) {
    auto reader = TRY(ArchiveReader::open(path));
    writer.begin_layer();
    std::uint64_t const stream_before = stats.stream_bytes;
    while (true) {
        archive_entry* entry = TRY(reader.next());
        stats.stream_bytes = stream_before + reader.uncompressed_bytes();
        if (entry == nullptr) {
            return {};
        }
        ++stats.entries;
        la_int64_t const size =
            archive_entry_size_is_set(entry) != 0 ? archive_entry_size(entry) : 0;
        stats.bytes += size > 0 ? static_cast<std::uint64_t>(size) : 0;
        TRY_CTX(check_totals(stats, limits, stats.stream_bytes), "layer " + path.string());

        std::string const raw = TRY_CTX(entry_pathname(entry), "layer " + path.string());
        std::string const name =
            TRY_CTX(normalize_entry_name(raw, limits.max_path_length), "layer " + path.string());
        TRY_CTX(apply_entry(entry, name, reader, writer, limits, stats),
                "layer " + path.string() + ": entry \"" + raw + "\"");
    }
}

} // namespace microvm::image
