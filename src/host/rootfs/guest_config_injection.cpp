#include "host/rootfs/guest_config_injection.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <optional>

#include "base/fd.hpp"
#include "base/safe_file.hpp"
#include "base/sys.hpp"
#include "contract/guest_config_file.hpp"

namespace microvm::rootfs {
namespace {

constexpr char etc[] = "etc";

// The image's etc when it is a real directory (never following a symlink).
Result<std::optional<struct stat>> lower_etc(std::filesystem::path const& source) {
    base::Fd root = TRY(base::open_root(source));
    auto dir = base::open_in_root(root, etc, O_PATH | O_DIRECTORY);
    if (!dir) {
        int error = dir.error().errno_value();
        if (error == ENOENT || error == ELOOP || error == ENOTDIR) {
            return std::nullopt;
        }
        return std::unexpected(std::move(dir.error()));
    }
    return TRY(base::sys::fstat(dir->get(), etc));
}

// Creates upper/etc with the mode and owner of the image's etc, so the merged /etc looks like
// the image's. An upper/etc that exists already (a restarted VM) is left as it is.
Result<void> mirror_etc(hypervisor::RootfsView const& view) {
    auto lower = TRY(lower_etc(view.source));
    if (!lower) {
        return {};
    }
    base::Fd upper = TRY(base::open_root(view.upper_dir));
    auto existing = base::open_in_root(upper, etc, O_PATH);
    if (existing || existing.error().errno_value() != ENOENT) {
        return {}; // present, or not ours to fix: write_guest_config() reports a bad etc
    }
    TRY(base::mkdirs_in_root(upper, etc, 0700));
    base::Fd dir = TRY(base::open_in_root(upper, etc, O_RDONLY | O_DIRECTORY));
    // Owner first: chown clears set-id bits, which fchmod then restores.
    if (::fchown(dir.get(), lower->st_uid, lower->st_gid) != 0 && errno != EPERM) {
        return fail_errno("fchown etc");
    }
    TRY(base::sys::fchmod(dir.get(), lower->st_mode & 07777, etc));
    return {};
}

} // namespace

Result<void> inject_guest_config(hypervisor::RootfsView const& view,
                                 contract::GuestConfig const& config) {
    if (view.upper_dir.empty()) {
        return contract::write_guest_config(view.source, config);
    }
    TRY_CTX(mirror_etc(view), "inject guest config into " + view.upper_dir.string());
    TRY_CTX(contract::write_guest_config(view.upper_dir, config), "inject guest config");
    return {};
}

} // namespace microvm::rootfs
