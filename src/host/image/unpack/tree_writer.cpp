#include "host/image/unpack/tree_writer.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "base/safe_file.hpp"
#include "base/safe_tree.hpp"
#include "base/sys.hpp"
#include "base/sys_tree.hpp"

namespace microvm::image {

namespace {

constexpr std::uint64_t strict = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
// Parents an archive implies without listing them get the mode Docker and containerd give.
constexpr mode_t implied_directory_mode = 0755;

std::string quoted(std::string const& name) {
    return "\"" + name + "\"";
}

Result<base::SplitPath> split(std::string const& name) {
    auto parts = TRY(base::split_in_root(name));
    if (parts.leaf.empty()) {
        return fail("entry \"\": would replace the root directory");
    }
    return parts;
}

} // namespace

void TreeWriter::begin_layer() {
    m_written.clear();
    m_cached_parent.clear();
}

Result<int> TreeWriter::parent_dir(std::string const& parent) {
    if (!m_cached_parent.empty() && m_cached_parent == parent) {
        return m_cached_parent_fd.get();
    }
    m_cached_parent.clear();
    // One lookup in the common case; creating parents walks the path component by component.
    auto dir = base::open_in_root(m_root, parent, O_PATH | O_DIRECTORY, 0, base::Resolve::in_root);
    if (!dir && dir.error().errno_value() == ENOENT) {
        dir = base::mkdirs_resolving_in_root(m_root, parent, implied_directory_mode);
    }
    if (!dir) {
        return std::unexpected(std::move(dir.error()));
    }
    m_cached_parent_fd = std::move(*dir);
    m_cached_parent = parent;
    return m_cached_parent_fd.get();
}

Result<bool> TreeWriter::clear_leaf(int dirfd, std::string const& name, std::string const& leaf,
                                    bool keep_directory) {
    auto st = base::sys::lstatat(dirfd, leaf);
    if (!st) {
        if (st.error().errno_value() == ENOENT) {
            return false;
        }
        return std::unexpected(std::move(st.error()));
    }
    if (keep_directory && S_ISDIR(st->st_mode)) {
        return true;
    }
    // A removed directory may be (or contain) the cached parent; its descriptor stays open
    // until the next lookup, so the caller's borrowed dirfd remains valid.
    m_cached_parent.clear();
    TRY(base::remove_at(dirfd, leaf));
    forget(name);
    return false;
}

void TreeWriter::forget(std::string const& name) {
    m_directories.erase(name);
    std::string const prefix = name + "/";
    auto it = m_directories.lower_bound(prefix);
    while (it != m_directories.end() && it->first.starts_with(prefix)) {
        it = m_directories.erase(it);
    }
}

bool TreeWriter::written_below(std::string const& name) const {
    std::string const prefix = name == "." ? "" : name + "/";
    auto it = m_written.lower_bound(prefix);
    return it != m_written.end() && it->starts_with(prefix);
}

Result<void> TreeWriter::write_file(std::string const& name, EntryMetadata const& meta,
                                    ArchiveReader& reader, std::int64_t size) {
    auto const parts = TRY(split(name));
    int const dir = TRY(parent_dir(parts.parent));
    TRY(clear_leaf(dir, name, parts.leaf, false));
    // O_EXCL on a name just cleared: if anything reappeared there, fail rather than open it.
    base::Fd fd =
        TRY(base::sys::openat2(dir, parts.leaf, O_WRONLY | O_CREAT | O_EXCL, 0600, strict));
    std::int64_t end = 0;
    for (;;) {
        auto block = TRY(reader.read_block());
        if (block.size == 0) {
            break;
        }
        auto const* data = static_cast<char const*>(block.data);
        std::size_t left = block.size;
        off_t offset = block.offset;
        while (left > 0) {
            ssize_t const n = ::pwrite(fd.get(), data, left, offset);
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                return fail_errno("write " + name);
            }
            data += n;
            left -= static_cast<std::size_t>(n);
            offset += n;
        }
        end = std::max<std::int64_t>(end, offset);
    }
    // A sparse entry may end in a hole, which no block covers.
    if (end < size && ::ftruncate(fd.get(), size) != 0) {
        return fail_errno("ftruncate " + name);
    }
    TRY(apply_metadata(fd.get(), meta, m_ownership, name));
    m_written.insert(name);
    return {};
}

Result<void> TreeWriter::make_directory(std::string const& name, EntryMetadata const& meta) {
    auto const parts = TRY(split(name));
    int const dir = TRY(parent_dir(parts.parent));
    bool const exists = TRY(clear_leaf(dir, name, parts.leaf, true));
    if (!exists) {
        // Owner-only until finish(): nobody else needs it before then, and the owner must be
        // able to add the entries that follow.
        TRY(base::sys::mkdirat(dir, parts.leaf, 0700));
    }
    base::Fd fd = TRY(base::sys::openat2(dir, parts.leaf, O_RDONLY | O_DIRECTORY, 0, strict));
    TRY(apply_metadata(fd.get(), meta, m_ownership, name, false));
    m_directories[name] = DirMetadata{meta.mode, meta.atime, meta.mtime};
    m_written.insert(name);
    return {};
}

Result<void> TreeWriter::make_symlink(std::string const& name, std::string const& target,
                                      EntryMetadata const& meta) {
    auto const parts = TRY(split(name));
    int const dir = TRY(parent_dir(parts.parent));
    TRY(clear_leaf(dir, name, parts.leaf, false));
    // A new symlink can change how later names resolve.
    m_cached_parent.clear();
    TRY(base::sys::symlinkat(target, dir, parts.leaf));
    TRY(apply_symlink_metadata(dir, parts.leaf, meta, m_ownership));
    m_written.insert(name);
    return {};
}

Result<void> TreeWriter::make_hardlink(std::string const& name, std::string const& target) {
    auto const parts = TRY(split(name));
    auto const source = TRY_CTX(split(target), "hard link target");
    std::string const op = "hard link to " + quoted(target);
    auto source_dir =
        base::sys::openat2(m_root.get(), source.parent, O_PATH | O_DIRECTORY, 0, strict);
    if (!source_dir) {
        int const error = source_dir.error().errno_value();
        if (error == ELOOP) {
            return fail_errno(op + ": its path crosses a symlink, which a hard link's target "
                                   "may not (it is never followed)",
                              error);
        }
        return fail_errno(op + ": " +
                              (error == ENOENT ? std::string("no such file in the layers so far")
                                               : "cannot open " + source.parent),
                          error);
    }
    auto const st = base::sys::lstatat(source_dir->get(), source.leaf);
    if (!st) {
        return fail_errno(op + ": no such file in the layers so far", st.error().errno_value());
    }
    if (!S_ISREG(st->st_mode)) {
        return fail(op + ": " +
                    (S_ISLNK(st->st_mode) ? "the target is a symlink"
                                          : "the target is not a regular file") +
                    "; only regular files may be hard-linked");
    }
    int const dir = TRY(parent_dir(parts.parent));
    if (auto existing = base::sys::lstatat(dir, parts.leaf);
        existing && existing->st_dev == st->st_dev && existing->st_ino == st->st_ino) {
        m_written.insert(name);
        return {}; // already this very file
    }
    TRY(clear_leaf(dir, name, parts.leaf, false));
    TRY_CTX(base::sys::linkat(source_dir->get(), source.leaf, dir, parts.leaf), op);
    m_written.insert(name);
    return {};
}

Result<void> TreeWriter::finish() {
    // Reverse order visits "a/b" before "a", so a parent's read-only mode never blocks the
    // lookup of its children.
    for (auto it = m_directories.rbegin(); it != m_directories.rend(); ++it) {
        auto const& [name, meta] = *it;
        auto fd = base::open_in_root(m_root, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0,
                                     base::Resolve::in_root);
        if (!fd) {
            int const error = fd.error().errno_value();
            if (error == ENOENT || error == ENOTDIR || error == ELOOP) {
                continue; // replaced or removed since; the later state wins
            }
            return std::unexpected(std::move(fd.error()));
        }
        TRY(base::sys::fchmod(fd->get(), meta.mode, name));
        struct timespec const times[2] = {meta.atime, meta.mtime};
        TRY(base::sys::futimens(fd->get(), times, name));
    }
    m_directories.clear();
    return {};
}

} // namespace microvm::image
