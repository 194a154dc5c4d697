// Writes layer entries into a root directory, every operation confined to the root.
//
// How a name is resolved (the rule container runtimes apply): the entry's parent directory
// is resolved as the guest will resolve it, following symlinks inside the root
// (RESOLVE_IN_ROOT), so with "bin -> usr/bin" from a lower layer, "bin/foo" lands in
// usr/bin/foo, and with "x -> /../../etc" it lands in <root>/etc. Missing parents are created
// (0755). The leaf itself is never followed: whatever is there (a symlink, a file, a
// directory replaced by a non-directory) is removed and replaced, and files are created with
// O_EXCL. So no name in any layer can make the unpacker write, link, chown or delete a host
// file outside the root.
//
// A TreeWriter assumes it alone modifies the root while it runs (the root is a private
// temporary directory).
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "base/error.hpp"
#include "base/fd.hpp"
#include "host/image/unpack/archive_reader.hpp"
#include "host/image/unpack/metadata.hpp"

namespace microvm::image {

class TreeWriter {
public:
    TreeWriter(base::Fd root, Ownership ownership)
        : m_root(std::move(root)), m_ownership(ownership) {}

    // Starts the next layer: whiteouts only ever hide entries of lower layers.
    void begin_layer();

    // Each takes a normalized entry name (normalize_entry_name), never the root itself.
    // A regular file with the entry's data, read from `reader` (holes of a sparse entry stay
    // holes); `size` is the size the header declares.
    Result<void> write_file(std::string const& name, EntryMetadata const& meta,
                            ArchiveReader& reader, std::int64_t size);
    // A directory, kept (merged) when one exists. Its mode and times are applied by
    // finish(), since entries added below it later would change its times, and a read-only
    // mode would keep a non-root unpacker from adding them.
    Result<void> make_directory(std::string const& name, EntryMetadata const& meta);
    // A symlink holding `target` verbatim. Targets are never resolved on the host: they mean
    // something only inside the guest (or through RESOLVE_IN_ROOT), where "/" is the root.
    Result<void> make_symlink(std::string const& name, std::string const& target,
                              EntryMetadata const& meta);
    // A hard link to `target`, a normalized name of a file already in the root. The target
    // is resolved with RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS and must be a regular file: a
    // target whose path crosses a symlink, or that is a symlink, a directory or a device,
    // is an error, so a link can never pin a host file.
    Result<void> make_hardlink(std::string const& name, std::string const& target);

    // ".wh.LEAF" in `parent`: removes parent/LEAF of the lower layers, if present.
    Result<void> whiteout(std::string const& parent, std::string const& leaf);
    // ".wh..wh..opq" in `parent`: removes everything in it that this layer did not write.
    Result<void> opaque(std::string const& parent);

    // Applies the directories' deferred modes and times, deepest first.
    Result<void> finish();

private:
    struct DirMetadata {
        mode_t mode;
        struct timespec atime;
        struct timespec mtime;
    };

    // The directory `parent` (normalized, "." for the root) resolved in the root, created if
    // missing. The descriptor stays valid until the next call.
    Result<int> parent_dir(std::string const& parent);
    // Removes whatever `leaf` is in `dirfd`, except a directory when `keep_directory`.
    // Returns whether a directory was kept.
    Result<bool> clear_leaf(int dirfd, std::string const& name, std::string const& leaf,
                            bool keep_directory);
    // Forgets state about `name` and everything below it after it was removed.
    void forget(std::string const& name);
    bool written_below(std::string const& name) const;
    Result<void> clear_lower_layers(std::string const& dir_name, base::Fd dir);

    base::Fd m_root;
    Ownership m_ownership;
    std::string m_cached_parent; // empty: no valid cache
    base::Fd m_cached_parent_fd;
    std::set<std::string> m_written; // names this layer wrote
    std::map<std::string, DirMetadata> m_directories;
};

} // namespace microvm::image
