// The names in a layer tar: normalizing them, and recognizing whiteouts.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/error.hpp"

struct archive_entry;

namespace microvm::image {

// The entry's path name as bytes, as the tar stored it. libarchive gives names from PAX
// headers as UTF-8 when the locale cannot represent them; either spelling is the same bytes
// on disk for the UTF-8 names images use. Fails when the entry has no name.
Result<std::string> entry_pathname(archive_entry* entry);
// The target of a hard link entry, or empty when the entry is not one.
std::string entry_hardlink(archive_entry* entry);
// The target of a symlink entry, or empty when the entry is not one.
std::string entry_symlink(archive_entry* entry);

// The path below the root that a tar name denotes: leading "/" and "./" are dropped, empty
// and "." components are removed, and "" means the root itself. So "/etc//x", "./etc/x" and
// "etc/x/" are all "etc/x". Fails (naming the entry) on a ".." component, even one that
// would stay inside ("a/../b"): no image tool writes them, so they only appear in hostile
// archives, and refusing them keeps every name free of upward steps before the kernel
// resolves it. Also fails on a name longer than `max_length` bytes or with a NUL byte.
Result<std::string> normalize_entry_name(std::string_view raw, std::size_t max_length);

// What an entry's last component says about it (OCI image spec, "Whiteouts").
enum class WhiteoutKind {
    none,   // an ordinary entry
    plain,  // ".wh.NAME": NAME is deleted from the lower layers
    opaque, // ".wh..wh..opq": the directory's lower-layer contents are deleted
    meta,   // any other ".wh..wh.*" (AUFS bookkeeping such as ".wh..wh.plnk"): ignored
};
struct Whiteout {
    WhiteoutKind kind = WhiteoutKind::none;
    std::string target; // the NAME of a plain whiteout
};
// Fails on a plain whiteout whose NAME is empty, "." or "..".
Result<Whiteout> classify_whiteout(std::string_view leaf);

} // namespace microvm::image
