// Resolving a user spec ("name", "uid", "name:group", "uid:gid", ...) to numeric ids with a
// root's own /etc/passwd and /etc/group, as runc does: for an image's User on the host, and for
// an exec's user inside the running VM.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "base/error.hpp"
#include "base/fd.hpp"

namespace microvm::base {

struct UserIds {
    uid_t uid = 0;
    gid_t gid = 0;
    std::string home; // from /etc/passwd; empty when the user has no entry there

    friend bool operator==(UserIds const&, UserIds const&) = default;
};

// Resolves `spec` = USER[:GROUP] against the files below `rootfs`, which are read through
// the safe-file layer (RESOLVE_IN_ROOT: a symlinked /etc/passwd resolves inside the image,
// never to the host's) and only when they are regular files of at most 1 MiB.
// - USER: a name in /etc/passwd, or a number (which need not be listed). Empty means root.
// - GROUP: a name in /etc/group, or a number. When absent, the user's primary group from
//   /etc/passwd, or 0 for a numeric user that is not listed.
// Fails with a message naming the user or group when a name is not found (or the file is
// missing), a number is out of range (ids are below 2^32 - 1), or GROUP is empty.
Result<UserIds> resolve_user(std::string_view spec, base::Fd const& rootfs);

} // namespace microvm::base
