// virtio-fs shares inside the guest: the root share and the user's shares (DESIGN.md §4.1).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "base/error.hpp"
#include "contract/guest_config.hpp"
#include "guest/mounts.hpp"
#include "guest/syscalls.hpp"

namespace microvm::guest {

// Who owns a read-write share after it is mounted; an unset id is left as the host has it.
struct ShareOwner {
    std::optional<uid_t> uid;
    std::optional<gid_t> gid;
};

// Mounts the share `mount.tag` at `root` + `mount.guest_path` with MS_NOSUID|MS_NODEV, plus
// MS_RDONLY when read-only, retrying per `policy`. A read-only share is never chowned (it would
// fail with EROFS); a read-write one is chowned to `owner` when an id is set, and if that fails
// it is unmounted again and the chown error returned. Errors name the tag and the guest path.
Result<void> mount_share(Syscalls& sys, contract::GuestMount const& mount, std::string const& root,
                         ShareOwner owner, RetryPolicy policy = {});

// Mounts the VM's root share (contract::root_share_tag) read-write at `target`. Set-uid
// programs and device nodes of the image must keep working there, so no MS_NOSUID/MS_NODEV.
Result<void> mount_root_share(Syscalls& sys, std::string const& target, RetryPolicy policy = {});

} // namespace microvm::guest
