// Directory-tree operations inside a root whose contents an image controls: the primitives
// the unpacker needs beyond safe_file.hpp (creating parents as the guest would resolve them,
// opening the parent of an entry, removing whole subtrees).
//
// The same rules as safe_file.hpp: every multi-component lookup is an openat2(2) scoped to
// the root, every leaf operation is an *at call on a parent descriptor that never follows a
// symlink at the leaf.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "base/fd.hpp"
#include "base/safe_file.hpp"

namespace microvm::base {

// Opens (O_PATH) the directory `relative_dir` below `root`, resolving symlinks on the way as
// the guest will once it boots on this root (Resolve::in_root: an absolute link or ".." stays
// inside), and creates missing components with exactly `mode` (not filtered by the umask,
// so the guest's tree does not depend on the host process's umask). So with
// "bin -> usr/bin" in the root, "bin/x" opens or creates root/usr/bin/x, never a host path.
// A symlink whose target does not exist has its target created (as containerd does, so that
// "lib -> usr/lib" then "lib/x" works before usr/lib exists), inside the root like any other
// directory, provided the link's own path crosses no symlink (otherwise EEXIST).
// Fails when a component exists and is not a directory (ENOTDIR), on more than 40 levels of
// symlinks (ELOOP), or on a ".." component.
// To refuse every symlink instead, see mkdirs_no_follow() (base/safe_file.hpp).
Result<Fd> mkdirs_resolving_in_root(Fd const& root, std::string_view relative_dir, mode_t mode);

// The parent directory and the last component of a path below a root: "a/b/c" gives the
// parent "a/b" and the leaf "c". Paths are normalized first ("/a//b/" is "a/b").
struct SplitPath {
    std::string parent; // "." for an entry of the root itself
    std::string leaf;   // empty for the root itself
};
// Fails on a ".." component or a NUL byte (EINVAL).
Result<SplitPath> split_in_root(std::string_view relative);

// Removes the entry `name` of the directory `dir` (a borrowed descriptor, O_PATH is fine). A
// symlink is removed, never followed; a directory is removed with everything below it. A
// missing entry is not an error. Directories are entered one at a time below `dir` with
// RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS and left through "..", so the number of open
// descriptors does not grow with the depth of the tree; this assumes nobody else renames
// directories inside the tree meanwhile (true of a private unpack directory). Directories
// that deny their owner access (mode 0500, 0000) are made accessible first, so this works
// without root as well.
Result<void> remove_at(int dir, std::string const& name);

// Removes every entry of the directory `dir` and keeps the directory itself.
Result<void> empty_directory(int dir, std::string_view what);

// Removes the host path `path` and everything below it, as remove_at() does (symlinks inside
// are never followed); `path` itself is trusted. A missing path is not an error.
Result<void> remove_tree(std::filesystem::path const& path);

} // namespace microvm::base
