#include "guest/shares.hpp"

#include <sys/mount.h>

#include "contract/guest_protocol.hpp"

namespace microvm::guest {
namespace {

std::string describe(std::string const& tag, std::string const& path) {
    return "virtiofs tag \"" + tag + "\" on " + path;
}

} // namespace

Result<void> mount_share(Syscalls& sys, contract::GuestMount const& mount, std::string const& root,
                         ShareOwner owner, RetryPolicy policy) {
    std::string const what = describe(mount.tag, mount.guest_path);
    if (mount.guest_path.empty() || mount.guest_path.front() != '/' ||
        mount.guest_path.find_first_not_of('/') == std::string::npos) {
        return fail("mount " + what + ": the guest path must be absolute and not /");
    }
    unsigned long flags =
        (mount.allow_setuid ? 0 : MS_NOSUID) | (mount.allow_devices ? 0 : MS_NODEV);
    if (mount.read_only) {
        flags |= MS_RDONLY;
    }
    MountSpec const spec{mount.tag, root + mount.guest_path, "virtiofs", flags, ""};
    TRY_CTX(sys.make_directories(spec.target, 0755), "mount " + what);
    TRY_CTX(mount_with_retries(sys, spec, policy),
            "mounting " + what + " after " + std::to_string(policy.attempts) + " attempts");

    // The chown of a read-only share would fail with EROFS, and must not be tried anyway.
    if (mount.read_only || (!owner.uid && !owner.gid)) {
        return {};
    }
    uid_t const uid = owner.uid.value_or(static_cast<uid_t>(-1));
    gid_t const gid = owner.gid.value_or(static_cast<gid_t>(-1));
    auto chowned = sys.chown(spec.target, uid, gid);
    if (chowned) {
        return {};
    }
    Error error = std::move(chowned.error());
    // A share the workload cannot use as intended is not left mounted.
    if (auto unmounted = sys.umount2(spec.target, 0); !unmounted) {
        error.also("unmounting it again failed too", unmounted.error());
    }
    return std::unexpected(std::move(error).context("chown " + what));
}

Result<void> mount_root_share(Syscalls& sys, std::string const& target, RetryPolicy policy) {
    MountSpec const spec{contract::root_share_tag, target, "virtiofs", 0, ""};
    TRY_CTX(sys.make_directories(spec.target, 0755), "mount the root share");
    TRY_CTX(mount_with_retries(sys, spec, policy),
            "mounting the root share (" + describe(contract::root_share_tag, target) + ") after " +
                std::to_string(policy.attempts) + " attempts");
    return {};
}

} // namespace microvm::guest
