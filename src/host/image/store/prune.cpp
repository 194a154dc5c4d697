#include "host/image/store/prune.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>

#include "host/image/store/tag_index.hpp"

namespace microvm::image {

namespace {

std::vector<std::string> entries_of(std::filesystem::path const& dir) {
    std::vector<std::string> names;
    std::error_code ec;
    for (auto const& entry : std::filesystem::directory_iterator(dir, ec)) {
        names.push_back(entry.path().filename().string());
    }
    return names;
}

// Removes a tree the way `rm -rf` does for its owner: an unpacked image keeps its modes, so
// directories without write permission (0555 /usr, say) are opened up before their entries go.
// Symlinks are removed, never followed.
Result<void> remove_tree(std::filesystem::path const& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        return errno == ENOENT ? Result<void>{} : fail_errno("lstat " + path.string());
    }
    if (!S_ISDIR(st.st_mode)) {
        if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
            return fail_errno("unlink " + path.string());
        }
        return {};
    }
    if ((st.st_mode & 0700) != 0700 && ::chmod(path.c_str(), (st.st_mode & 07777) | 0700) != 0) {
        return fail_errno("chmod " + path.string());
    }
    for (auto const& name : entries_of(path)) {
        TRY(remove_tree(path / name));
    }
    if (::rmdir(path.c_str()) != 0 && errno != ENOENT) {
        return fail_errno("rmdir " + path.string());
    }
    return {};
}

Result<void> prune_blobs(ContentStore const& store, std::set<std::string> const& keep,
                         PruneReport& report) {
    for (auto const& name : entries_of(store.blobs_dir())) {
        auto const path = store.blobs_dir() / name;
        if (name.starts_with(".tmp-")) {
            TRY(remove_tree(path));
            ++report.removed_temporaries;
            continue;
        }
        auto digest = Digest::parse("sha256:" + name);
        if (!digest || keep.contains(digest->text())) {
            continue; // not ours to judge, or still referenced
        }
        auto const size = store.blob_size(*digest).value_or(0);
        if (::unlink(path.c_str()) != 0) {
            return fail_errno("unlink " + path.string());
        }
        report.removed_blobs.push_back(digest->text());
        report.freed_bytes += size;
    }
    return {};
}

Result<void> prune_rootfs(ContentStore const& store, std::set<std::string> const& keep,
                          PruneReport& report) {
    for (auto const& name : entries_of(store.rootfs_dir())) {
        auto const path = store.rootfs_dir() / name;
        auto digest = Digest::parse("sha256:" + name);
        if (!digest) {
            // Staging and deletion directories of unpacks that did not finish; no unpack can
            // be running, because unpacking happens inside a pull's shared store lock.
            if (name.starts_with(".")) {
                TRY(remove_tree(path));
                ++report.removed_temporaries;
            }
            continue;
        }
        if (keep.contains(digest->text())) {
            continue;
        }
        auto lock = TRY(store.try_lock_rootfs(*digest, LockMode::exclusive));
        if (!lock) {
            report.busy_rootfs.push_back(digest->text());
            continue;
        }
        // Unpublish first, so an interrupted removal never leaves a partial tree under a
        // published name.
        auto const doomed = store.rootfs_dir() / (".delete-" + name);
        if (::rename(path.c_str(), doomed.c_str()) != 0) {
            return fail_errno("rename " + path.string());
        }
        TRY(remove_tree(doomed));
        report.removed_rootfs.push_back(digest->text());
    }
    return {};
}

} // namespace

Result<PruneReport> prune(ContentStore const& store) {
    auto store_lock = TRY_CTX(store.lock_store(LockMode::exclusive), "prune: lock image store");
    auto records = TRY_CTX(list_images(store), "prune");
    std::set<std::string> blobs;
    std::set<std::string> rootfs;
    for (auto const& record : records) {
        blobs.insert(record.blobs.begin(), record.blobs.end());
        blobs.insert(record.digest);
        blobs.insert(record.manifest_digest);
        rootfs.insert(record.manifest_digest);
    }
    PruneReport report;
    TRY_CTX(prune_blobs(store, blobs, report), "prune blobs");
    TRY_CTX(prune_rootfs(store, rootfs, report), "prune rootfs");
    return report;
}

} // namespace microvm::image
