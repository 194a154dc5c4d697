// "shares" and "disk": what run() needs of the host's file systems.
#include <sys/statvfs.h>

#include "host/preflight/checks.hpp"

namespace microvm::preflight {

Result<void> check_shares(RunOptions const& options) {
    for (std::size_t i = 0; i < options.mounts.size(); ++i) {
        // validate() checks the same, but a caller may run the preflight on its own, and the
        // directory may have gone since.
        TRY_CTX(validate(options.mounts[i]), "mounts[" + std::to_string(i) + "]");
    }
    if (!options.rootfs.empty()) {
        std::error_code ec;
        if (!std::filesystem::is_directory(options.rootfs, ec)) {
            return fail("rootfs: directory not found: " + options.rootfs.string());
        }
    }
    return {};
}

Result<void> check_free_space(std::filesystem::path const& dir, std::uint64_t min_bytes) {
    struct statvfs st {};
    if (::statvfs(dir.c_str(), &st) != 0) {
        return fail_errno("statvfs " + dir.string());
    }
    std::uint64_t const free_bytes = static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
    if (free_bytes < min_bytes) {
        return fail("only " + std::to_string(free_bytes >> 20) + " MiB free in " + dir.string() +
                    "; a VM needs at least " + std::to_string(min_bytes >> 20) +
                    " MiB there for its writable layer, logs and boot files");
    }
    if (st.f_favail == 0 && st.f_files != 0) {
        return fail("no free inodes in " + dir.string());
    }
    return {};
}

} // namespace microvm::preflight
