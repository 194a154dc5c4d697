// TreeWriter's whiteouts (OCI image spec, "Whiteouts"): deleting what lower layers put in
// the root. Split from tree_writer.cpp, which creates entries.
//
// Both kinds only hide entries of LOWER layers: "Files that are present in the same layer as
// a whiteout file can only be hidden by whiteout files in subsequent layers." Tar order is
// free, so a whiteout may come after entries of its own layer that it would otherwise hit;
// the writer remembers the names this layer wrote and spares them.
//
// FIXME: those names are spelled as the archive spells them; an entry written through a
// symlinked parent ("bin/x" into usr/bin/x) is not recognized under its resolved name by an
// opaque marker in usr/bin of the same layer. Layers made by diffing a file system never
// do that.
#include <fcntl.h>
#include <linux/openat2.h>

#include <cerrno>
#include <vector>

#include "base/safe_file.hpp"
#include "base/safe_tree.hpp"
#include "base/sys.hpp"
#include "base/sys_tree.hpp"
#include "host/image/unpack/tree_writer.hpp"

namespace microvm::image {

namespace {

std::string child_of(std::string const& dir, std::string const& leaf) {
    return dir == "." ? leaf : dir + "/" + leaf;
}

} // namespace

Result<void> TreeWriter::whiteout(std::string const& parent, std::string const& leaf) {
    std::string const name = child_of(parent, leaf);
    if (m_written.contains(name) || written_below(name)) {
        return {};
    }
    // The parent is resolved as the guest would see it; a missing parent means there is
    // nothing to delete. The leaf is removed, never followed.
    auto dir = base::open_in_root(m_root, parent, O_PATH | O_DIRECTORY, 0, base::Resolve::in_root);
    if (!dir) {
        int const error = dir.error().errno_value();
        if (error == ENOENT || error == ENOTDIR) {
            return {};
        }
        return std::unexpected(std::move(dir.error()));
    }
    m_cached_parent.clear();
    TRY(base::remove_at(dir->get(), leaf));
    forget(name);
    return {};
}

Result<void> TreeWriter::opaque(std::string const& parent) {
    auto dir = base::open_in_root(m_root, parent, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0,
                                  base::Resolve::in_root);
    if (!dir) {
        int const error = dir.error().errno_value();
        if (error == ENOENT) {
            return {};
        }
        if (error == ELOOP || error == ENOTDIR) {
            return fail_errno("opaque whiteout in \"" + parent +
                                  "\": it is not a directory (a symlink is not followed)",
                              error);
        }
        return std::unexpected(std::move(dir.error()));
    }
    m_cached_parent.clear();
    return clear_lower_layers(parent, std::move(*dir));
}

Result<void> TreeWriter::clear_lower_layers(std::string const& dir_name, base::Fd dir) {
    auto const names = TRY(base::sys::list_directory(dir.get(), dir_name));
    std::vector<std::string> partly_written;
    for (auto const& leaf : names) {
        std::string const name = child_of(dir_name, leaf);
        if (m_written.contains(name) || written_below(name)) {
            // A directory this layer wrote may still hold lower-layer entries.
            partly_written.push_back(name);
        } else {
            TRY(base::remove_at(dir.get(), leaf));
            forget(name);
        }
    }
    // Close this level before descending, so descriptors do not pile up with depth; each
    // subdirectory is reopened from the root, refusing a symlink at its leaf.
    dir.reset();
    for (auto const& name : partly_written) {
        auto sub = base::open_in_root(m_root, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0,
                                      base::Resolve::in_root);
        if (!sub) {
            int const error = sub.error().errno_value();
            if (error == ELOOP || error == ENOTDIR) {
                continue; // this layer made it a non-directory: nothing below to clear
            }
            return std::unexpected(std::move(sub.error()));
        }
        TRY(clear_lower_layers(name, std::move(*sub)));
    }
    return {};
}

} // namespace microvm::image
