#include "guest/new_root.hpp"

#include "guest/config_file.hpp"
#include "guest/console.hpp"
#include "guest/mounts.hpp"
#include "guest/shares.hpp"

namespace microvm::guest {

Result<PreparedRoot> prepare_root(Syscalls& sys, std::string const& root) {
    PreparedRoot prepared;
    prepared.config = TRY(read_guest_config(root.empty() ? "/" : root));
    prepared.workload = TRY_CTX(workload_from_config(prepared.config), "/etc/microvm.json");
    trace("config read");

    TRY_CTX(mount_essentials(sys, root, essential_mounts(prepared.config.tmp_size_mib)),
            "essential mounts");
    ShareOwner const owner{prepared.config.share_uid, prepared.config.share_gid};
    for (auto const& share : prepared.config.virtiofs_mounts) {
        TRY(mount_share(sys, share, root, owner));
    }
    trace("essential mounts and shares mounted");
    return prepared;
}

Result<PreparedRoot> prepare_new_root(Syscalls& sys, std::string const& new_root) {
    TRY(mount_root_share(sys, new_root));
    trace("root share mounted");
    return prepare_root(sys, new_root);
}

} // namespace microvm::guest
