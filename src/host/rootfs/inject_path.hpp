// Where a file injected into a VM's root lands, and the directories on its way.
//
// A VM's root is two layers: the VM's writable directory (an overlay upper directory) over the
// image's read-only tree, or a single writable copy. Both are hostile: the image may plant
// symlinks anywhere, and a VM that ran before may have written anything into its upper layer.
// A path is therefore resolved here as the guest will resolve it in the merged tree (the
// writable layer first, overlayfs whiteouts and opaque directories honoured, symlinks followed
// textually and always inside the root, as RESOLVE_IN_ROOT does), to a canonical path of real
// directories. That path is then created in the writable layer one component at a time with
// openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS): the kernel never follows a symlink for us.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/fd.hpp"
#include "host/rootfs/rootfs_view.hpp"

namespace microvm::rootfs {

// How symlinks on a path's directories are treated.
enum class ImageLinks {
    // As the guest resolves them, inside the root: with "bin -> usr/bin", "/bin/x" lands in
    // usr/bin/x, and the image's /bin keeps its contents. The default for injected files.
    follow,
    // Not followed: a directory of the writable layer takes the place of a symlink of the
    // image (hiding it from the guest); a symlink in the writable layer is an error. For
    // /etc/microvm.json, which microvm-init reads before it can resolve the guest's links.
    replace,
};

struct Attributes {
    mode_t mode = 0755;
    // std::nullopt: whoever creates it owns it (this process).
    std::optional<uid_t> uid;
    std::optional<gid_t> gid;
};

// Descriptors of a view's layers, opened once.
struct Layers {
    base::Fd writable;             // the upper directory, or the VM's copy
    std::optional<base::Fd> image; // the read-only lower layer; none for a copy
};
Result<Layers> open_layers(RootfsView const& view);

// Resolves the directory `guest_dir` (absolute or relative to the root) to its canonical
// components. Missing components are kept (they will be created); ".." stops at the root.
// Fails when a component is not a directory, after 40 symlinks (ELOOP), or (ImageLinks::replace)
// on a symlink in the writable layer.
Result<std::vector<std::string>> resolve_dir(Layers const& layers, std::string_view guest_dir,
                                             ImageLinks links);

// How make_dirs() treats the directories it creates in the writable layer.
struct DirPlan {
    // A created directory the image also has (the overlay merges them) takes the image's mode
    // and owner, so the guest sees the image's directory. Others get `created`, and the last
    // one `last_created` when set.
    Attributes created;
    std::optional<Attributes> last_created;
    // Applied to the last directory whether or not it was created (the caller's mode must hold
    // even over the image's).
    std::optional<Attributes> last_always;
};

// Creates the canonical directories `dirs` in the writable layer where missing and returns the
// last one, opened O_RDONLY|O_DIRECTORY. A non-directory in the writable layer on the way is an
// error, except that the last component, when `replace_last` and it is not a directory, is
// removed first (a leaf is replaced, never followed).
Result<base::Fd> make_dirs(Layers const& layers, std::vector<std::string> const& dirs,
                           DirPlan const& plan, bool replace_last = false);

// Sets the owner (when given; chown first, since it clears set-id bits) and then the mode of
// the open file `fd`; `what` names it in errors.
Result<void> apply_attributes(int fd, Attributes const& attributes, std::string const& what);

} // namespace microvm::rootfs
