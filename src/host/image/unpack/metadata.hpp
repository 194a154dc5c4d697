// The metadata of a tar entry that unpacking keeps: owner, mode (setuid, setgid and sticky
// included: the guest needs its setuid binaries), extended attributes and times.
#pragma once

#include <sys/types.h>
#include <time.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.hpp"

struct archive_entry;

namespace microvm::image {

// Whether entries get the tar header's numeric owner. Only root can give a file away, so
// the unpacker keeps ownership exactly when it runs as root (its files otherwise belong to
// the user who unpacks).
enum class Ownership { keep, ignore };

struct EntryMetadata {
    uid_t uid = 0;
    gid_t gid = 0;
    mode_t mode = 0; // permission bits only (07777)
    struct timespec atime {};
    struct timespec mtime {};
    // Only the attributes keep_xattr() accepts, in archive order.
    std::vector<std::pair<std::string, std::string>> xattrs;
};

EntryMetadata metadata_of(archive_entry* entry);

// The extended attributes unpacking writes:
// - "user.*", the attributes any program may set, except "user.overlay.*", which overlayfs
//   (mounted with userxattr) reads as whiteouts, opaque markers and redirects: this rootfs
//   becomes an overlay's lower layer, and an image must not steer that overlay.
// - "security.capability", file capabilities (ping's cap_net_raw...), which the guest needs
//   as it needs setuid bits.
// Dropped: "trusted.*" (trusted.overlay.* steers overlayfs as above, and nothing else in an
// image has a use for it), other "security.*" (SELinux labels and IMA/EVM data describe
// the build host's policy, not ours), "system.*" (ACLs, which libarchive reports apart).
bool keep_xattr(std::string_view name);

// Applies owner, mode, extended attributes and times, in that order, to the open file `fd`
// (`what` names it in errors). The order matters: chown clears setuid/setgid bits and the
// security.capability attribute, so both come after it. When ownership is kept but the
// kernel refuses the owner (EINVAL: an id with no mapping in this user namespace; EPERM),
// the file keeps the unpacker's owner and loses setuid/setgid, so that an unmapped owner
// never turns into a setuid-root binary. An attribute the file system cannot store
// (ENOTSUP, or EPERM for security.capability without CAP_SETFCAP) is skipped.
// `apply_mode` false leaves the mode (and times) alone: directories get theirs at the end.
Result<void> apply_metadata(int fd, EntryMetadata const& meta, Ownership ownership,
                            std::string_view what, bool apply_mode = true);

// Owner and times of the symlink `name` in `dirfd` (a symlink has no mode, and Linux keeps
// no user attributes on one).
Result<void> apply_symlink_metadata(int dirfd, std::string const& name, EntryMetadata const& meta,
                                    Ownership ownership);

} // namespace microvm::image
