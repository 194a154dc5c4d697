// Bringing a set of blobs into the store, several at a time.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "host/image/registry/client.hpp"
#include "host/image/registry/manifest.hpp"
#include "host/image/registry/progress.hpp"
#include "host/image/store/content_store.hpp"

namespace microvm::image::registry {

struct DownloadReport {
    std::vector<std::string> downloaded; // digests fetched by this call, in `blobs` order
    std::vector<std::string> reused;     // digests that were already in the store
};

// Makes sure every blob of `blobs` is in `store`, fetching the missing ones through `client`
// on up to `parallel` threads. Each blob is fetched under its store lock and the store is
// checked again once the lock is held, so concurrent callers (threads or processes) download
// a blob once. Duplicates in `blobs` are handled once. After the first failure no new
// download starts; the error of the first failing blob (in `blobs` order) is returned, naming
// its digest.
Result<DownloadReport> download_blobs(ContentStore const& store, RegistryClient& client,
                                      std::vector<Descriptor> const& blobs, std::size_t parallel,
                                      PullProgress& progress);

} // namespace microvm::image::registry
