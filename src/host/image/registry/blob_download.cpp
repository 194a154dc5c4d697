#include "host/image/registry/blob_download.hpp"

#include <algorithm>
#include <atomic>
#include <optional>
#include <set>
#include <thread>

namespace microvm::image::registry {

namespace {

enum class Outcome { downloaded, reused };

Result<Outcome> ensure_blob(ContentStore const& store, RegistryClient& client,
                            Descriptor const& blob, PullProgress& progress, std::size_t slot) {
    if (store.has_blob(blob.digest)) {
        return Outcome::reused;
    }
    auto lock = TRY(store.lock_blob(blob.digest));
    // Whoever held the lock before us may have stored it.
    if (store.has_blob(blob.digest)) {
        return Outcome::reused;
    }
    auto writer = TRY(store.begin_blob(blob.digest, blob.size));
    TRY(client.fetch_blob(blob, writer, [&](std::uint64_t received, std::uint64_t) {
        progress.update(slot, received);
    }));
    return Outcome::downloaded;
}

} // namespace

Result<DownloadReport> download_blobs(ContentStore const& store, RegistryClient& client,
                                      std::vector<Descriptor> const& blobs, std::size_t parallel,
                                      PullProgress& progress) {
    std::vector<Descriptor> unique;
    std::set<std::string> seen;
    for (auto const& blob : blobs) {
        if (seen.insert(blob.digest.hex).second) {
            unique.push_back(blob);
        }
    }
    std::vector<std::size_t> slots;
    for (auto const& blob : unique) {
        slots.push_back(progress.add(blob.digest.hex, blob.size));
    }

    std::vector<std::optional<Result<Outcome>>> results(unique.size());
    std::atomic<std::size_t> next{0};
    std::atomic<bool> failed{false};
    auto worker = [&] {
        while (!failed.load()) {
            std::size_t const i = next.fetch_add(1);
            if (i >= unique.size()) {
                return;
            }
            auto result = ensure_blob(store, client, unique[i], progress, slots[i]);
            if (!result) {
                failed.store(true);
                progress.finish(slots[i], "failed");
            } else {
                progress.finish(slots[i], *result == Outcome::downloaded ? "done" : "exists");
            }
            results[i] = std::move(result);
        }
    };
    std::size_t const threads = std::max<std::size_t>(1, std::min(parallel, unique.size()));
    {
        std::vector<std::jthread> pool;
        for (std::size_t t = 1; t < threads; ++t) {
            pool.emplace_back(worker);
        }
        worker();
    } // joins the pool

    DownloadReport report;
    for (std::size_t i = 0; i < unique.size(); ++i) {
        if (!results[i]) {
            continue; // not started after a failure
        }
        if (!*results[i]) {
            return std::unexpected(
                std::move(results[i]->error()).context("fetch blob " + unique[i].digest.text()));
        }
        (**results[i] == Outcome::downloaded ? report.downloaded : report.reused)
            .push_back(unique[i].digest.text());
    }
    return report;
}

} // namespace microvm::image::registry
