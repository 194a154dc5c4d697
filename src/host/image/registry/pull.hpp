// Pulling an image from a registry into the content store.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "host/image/reference.hpp"
#include "host/image/registry/client.hpp"
#include "host/image/registry/manifest.hpp"
#include "host/image/registry/platform.hpp"
#include "host/image/registry/progress.hpp"
#include "host/image/store/content_store.hpp"
#include "host/image/store/tag_index.hpp"

namespace microvm::image {

struct PullOptions {
    registry::ClientOptions client = {};
    // The platform to pick from an index; the host's when unset.
    std::optional<Platform> platform = std::nullopt;
    // Blobs downloaded at once. A few connections saturate most links; more only add load
    // on the registry.
    std::size_t parallel_downloads = 3;
    registry::PullProgress::Output progress = registry::PullProgress::Output::terminal_only;
};

// An image whose manifest, config and layers are all in the store.
struct PulledImage {
    ImageRecord record;
    ImageManifest manifest;
    std::string config; // the image config JSON
    // Blobs this call downloaded, and blobs that were already present (another image shares
    // them, or a concurrent pull fetched them first).
    std::vector<std::string> downloaded = {};
    std::vector<std::string> reused = {};
};

// Pulls `reference` from its registry: fetches the manifest (by digest when the reference
// has one, else by tag), picks the platform's manifest from an index, fetches the config
// and the layers in parallel, each verified against its digest before it is stored, and
// points the tag at the result. Blobs already in the store are not downloaded again, and a
// blob that another process is downloading is waited for, not fetched twice.
// Errors start with "pull <reference>: " and then say which step failed, e.g.
// "pull 127.0.0.1:5000/a:1: fetch manifest: unknown tag \"1\" in 127.0.0.1:5000/a (...)".
Result<PulledImage> pull_image(ContentStore const& store, Reference const& reference,
                               PullOptions const& options = {});

// When ensure_image() goes to the registry.
enum class PullPolicy {
    missing, // only when the store does not have the image (so `run` of a pulled tag is offline)
    always,  // every time, refreshing the tag
    never,   // never; an image that is not in the store is an error
};

// The image `reference` names, from the store or from its registry as `policy` says. A
// reference with a digest is found in the store by that digest (index or manifest), one with
// only a tag by repository and tag. A record whose blobs have gone missing counts as absent.
// Fails with "image X is not in the store" under PullPolicy::never, or as pull_image() does.
Result<PulledImage> ensure_image(ContentStore const& store, Reference const& reference,
                                 PullOptions const& options = {},
                                 PullPolicy policy = PullPolicy::missing);

// The image a record points to, read back from the store (no network): for `run` of an
// image that was pulled before. Fails when a blob is missing or corrupt.
Result<PulledImage> load_image(ContentStore const& store, ImageRecord const& record);

} // namespace microvm::image
