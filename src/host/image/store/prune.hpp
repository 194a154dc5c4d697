// Garbage collection of the image store: what no tag references any more.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "host/image/store/content_store.hpp"

namespace microvm::image {

struct PruneReport {
    std::vector<std::string> removed_blobs;  // digests
    std::vector<std::string> removed_rootfs; // manifest digests
    std::vector<std::string> busy_rootfs;    // unreferenced but locked by a user, kept
    std::uint64_t freed_bytes = 0;           // blob bytes only
    std::size_t removed_temporaries = 0;     // leftovers of interrupted pulls or unpacks
};

// Removes every blob and rootfs that no record in the tag index references, and leftover
// temporary files and directories. Holds the store lock exclusively, so it waits for running
// pulls to finish and no pull starts meanwhile. A rootfs whose lock someone holds (a VM may
// take it shared while it runs) is skipped and reported busy. Fails on the first entry that
// cannot be removed, having removed what came before it.
Result<PruneReport> prune(ContentStore const& store);

} // namespace microvm::image
