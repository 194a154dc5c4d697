#include "host/image/store/prune.hpp"

#include <unistd.h>

#include <set>

#include "base/safe_tree.hpp"
#include "base/sys.hpp"
#include "host/image/store/tag_index.hpp"

namespace microvm::image {

namespace {

// The names in one of the store's directories; none when it was never created.
Result<std::vector<std::string>> entries_of(std::filesystem::path const& dir) {
    auto names = base::sys::list_directory(dir);
    if (!names && names.error().errno_value() == ENOENT) {
        return std::vector<std::string>();
    }
    return names;
}

Result<void> prune_blobs(ContentStore const& store, std::set<std::string> const& keep,
                         PruneReport& report) {
    auto const names = TRY(entries_of(store.blobs_dir()));
    for (auto const& name : names) {
        auto const path = store.blobs_dir() / name;
        if (name.starts_with(".tmp-")) {
            TRY(base::remove_tree(path));
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
    auto const names = TRY(entries_of(store.rootfs_dir()));
    for (auto const& name : names) {
        auto const path = store.rootfs_dir() / name;
        auto digest = Digest::parse("sha256:" + name);
        if (!digest) {
            // Staging and deletion directories of unpacks and prunes that did not finish; none
            // is running, since ensure_rootfs() unpacks under the shared store lock.
            if (name.starts_with(".")) {
                TRY(base::remove_tree(path));
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
        TRY(base::remove_tree(doomed)); // left by an interrupted prune
        if (::rename(path.c_str(), doomed.c_str()) != 0) {
            return fail_errno("rename " + path.string());
        }
        TRY(base::remove_tree(doomed));
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
