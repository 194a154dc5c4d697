// The safe-file layer: reading and writing inside a root directory whose contents an image
// controls (DESIGN.md §5, "Never follow a path an image planted").
//
// Every lookup below a root goes through openat2(2) with a scoped RESOLVE_* policy, so the
// kernel, not a string check, keeps it inside the root: an absolute symlink, a "..", or a
// chain of relative symlinks cannot reach a host file. Paths are given relative to the root;
// a leading "/" is allowed and also means the root ("/etc/x" == "etc/x"). Errors name the
// path as given to the kernel ("openat2 etc/microvm.json: ...") and keep errno; callers add
// the root as context.
//
// Needs Linux 5.6 (openat2). On an older kernel every call fails with ENOSYS: there is no
// fallback, because every fallback would be a string check.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "base/fd.hpp"

namespace microvm::base {

// How a path below a root is resolved. Magic links (/proc/self/fd/...) are refused by both.
enum class Resolve {
    // Any symlink on the path, including the last component, is an error (ELOOP), and a ".."
    // that would leave the root is an error (EXDEV). Nothing the image planted is followed.
    // The default everywhere, and the policy for files the host writes (config, injected files).
    no_symlinks,
    // Symlinks are followed, but resolved as if the root were "/", and ".." stops at the root
    // (RESOLVE_IN_ROOT): exactly what the guest will see once it boots on this root. Use it
    // when the guest's view matters (reading the image's /etc/passwd, a usr-merged /bin).
    in_root,
};

// Opens the directory `path` (trusted: it is the host's own path, so symlinks in it are
// followed) as an O_PATH descriptor to resolve other paths against. Fails when it does not
// exist or is not a directory.
Result<Fd> open_root(std::filesystem::path const& path);

// openat2(2) of `relative` below `root` with `flags` (O_CLOEXEC is always added), `mode` (used
// only with O_CREAT) and `policy`. With O_CREAT and Resolve::in_root, a dangling symlink at the
// leaf creates its target inside the root; with Resolve::no_symlinks it is an error.
// Fails with the kernel's errno: ELOOP for a symlink under no_symlinks, EXDEV for an escape.
Result<Fd> open_in_root(Fd const& root, std::string_view relative, int flags, mode_t mode = 0,
                        Resolve policy = Resolve::no_symlinks);

// Creates the directory `relative_dir` below `root` and any missing parents, one component at
// a time (mkdirat on a parent descriptor), with `mode` filtered by the umask as mkdir(2) does.
// Existing directories are kept as they are. Fails, without creating anything beyond the
// failing component, when a component is a symlink (ELOOP: never followed, even one that
// points inside the root), is not a directory (ENOTDIR), or is "..".
// For paths the image may have planted symlinks on the way to, and that should be followed as
// the guest would, see mkdirs_resolving_in_root() (base/safe_tree.hpp).
Result<void> mkdirs_no_follow(Fd const& root, std::string_view relative_dir, mode_t mode);

// Replaces the file `relative` below `root` with `bytes` atomically: the bytes go to a fresh
// temporary file in the same directory, which is given exactly `mode` (not filtered by the
// umask), fsynced, then renamed over the leaf, and the directory is fsynced. Readers see the
// old file or the new one, never a mix. The parent directory must exist and is resolved with
// `parent_policy`; a leaf that is a symlink is replaced, never followed; a leaf that is a
// directory is an error (EISDIR). Because the leaf is replaced rather than rewritten, a leaf
// that is a hard link to another file (say, into the image cache) leaves that file untouched.
// On failure the leaf is unchanged and the temporary file is removed.
Result<void> write_file_in_root(Fd const& root, std::string_view relative, std::string_view bytes,
                                mode_t mode, Resolve parent_policy = Resolve::no_symlinks);

// Reads the regular file `relative` below `root`, resolved with `policy`. Fails when it is
// not a regular file (a FIFO or device node an image planted is never opened for reading, so
// it cannot block or have side effects) or holds more than `max_bytes` (EFBIG).
Result<std::string> read_file_in_root(Fd const& root, std::string_view relative,
                                      std::size_t max_bytes, Resolve policy = Resolve::no_symlinks);

} // namespace microvm::base
