#include "host/image/store/rootfs_cache.hpp"

#include <sys/stat.h>

namespace microvm::image {

namespace {

bool is_real_directory(std::filesystem::path const& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

} // namespace

Result<std::filesystem::path> ensure_rootfs(ContentStore const& store, Digest const& manifest,
                                            UnpackInto const& unpack) {
    auto const path = store.rootfs_path(manifest);
    // Published trees are complete by construction (rename), so seeing one needs no lock.
    if (is_real_directory(path)) {
        return path;
    }
    auto lock =
        TRY_CTX(store.lock_rootfs(manifest, LockMode::exclusive), "lock rootfs " + manifest.text());
    if (is_real_directory(path)) {
        return path;
    }
    TRY_CTX(unpack(path), "unpack " + manifest.text());
    if (!is_real_directory(path)) {
        return fail("unpack " + manifest.text() + ": " + path.string() + " was not created");
    }
    return path;
}

} // namespace microvm::image
