// The store's tag index (<images>/index.json): which digest each pulled name points to.
//
// The file is replaced atomically (temporary file + rename) and every read-modify-write runs
// under the store's index lock, so concurrent pulls never lose each other's tags and readers
// never see a half-written index.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "host/image/store/content_store.hpp"

namespace microvm::image {

// One pulled image, as `microvm images` lists it.
struct ImageRecord {
    // Registry and repository, e.g. "docker.io/library/alpine" or "127.0.0.1:5055/test/app".
    std::string repository;
    // Empty for an image pulled by digest only.
    std::string tag;
    // What the name resolved to: the index's digest when the registry served an index,
    // otherwise the manifest's. This is the digest `docker pull` would print.
    std::string digest;
    // The platform-specific image manifest the rootfs is made from (== digest without an index).
    std::string manifest_digest;
    std::string config_digest;
    // Sum of the config and layer sizes (compressed, as stored).
    std::uint64_t size = 0;
    // The image config's "created" (RFC 3339), empty when the image does not say.
    std::string created;
    // Seconds since the epoch when the tag was last written.
    std::int64_t pulled_at = 0;
    // Every blob the image needs (index, manifest, config, layers): what prune() keeps.
    std::vector<std::string> blobs;

    bool operator==(ImageRecord const&) const = default;
};

// A record as index.json stores it (and `microvm images --format json` shows it, less the
// blob list): {"repository", "tag", "digest", "manifest_digest", "config_digest", "size",
// "created", "pulled_at", "blobs"}.
nlohmann::json to_json(ImageRecord const& record);

// Every record, in the order they were first added. A missing index is an empty list; an
// index that does not parse is an error (the store is not silently forgotten).
Result<std::vector<ImageRecord>> list_images(ContentStore const& store);

// The record for repository:tag, or nullopt.
Result<std::optional<ImageRecord>>
find_image(ContentStore const& store, std::string const& repository, std::string const& tag);

// The first record whose digest or manifest digest is `digest` (for references by digest).
Result<std::optional<ImageRecord>> find_image_by_digest(ContentStore const& store,
                                                        std::string const& digest);

// The image ID `microvm images` shows and `rmi` accepts, as podman and docker have it: the
// config digest (one ID for one image, however many names and index digests point at it);
// the manifest digest for a record that has no config digest.
std::string const& image_id(ImageRecord const& record);

// The hex part of `digest` cut to 12 characters, podman's short ID ("sha256:0a1b..." ->
// "0a1b2c3d4e5f").
std::string short_id(std::string const& digest);

// Whether `text` may be an image ID or a prefix of one: min_id_prefix to 64 lowercase hex
// digits, optionally after "sha256:". Without "sha256:" it may also be a name ("cafe"):
// callers look it up as a name first, as docker does.
inline constexpr std::size_t min_id_prefix = 4;
bool looks_like_id_prefix(std::string_view text);

// One image found by ID: its full ID and every record (name) it has.
struct ImageById {
    std::string id;
    std::vector<ImageRecord> records;
};

// The one image whose ID starts with `prefix` (hex digits, optionally after "sha256:").
// Fails with "no such image: PREFIX" when none matches, and when several images match with
// "image ID prefix \"PREFIX\" is ambiguous: it matches <their short IDs>; give more of the
// ID", so that a short prefix never picks one of several images by chance.
Result<ImageById> find_image_by_id_prefix(ContentStore const& store, std::string_view prefix);

// Adds `record`, replacing the one with the same repository and tag (a pull refreshes the tag).
Result<void> put_image(ContentStore const& store, ImageRecord const& record);

// Removes repository:tag. Returns false when there was no such record. The blobs stay until
// prune().
Result<bool> remove_image(ContentStore const& store, std::string const& repository,
                          std::string const& tag);

// Removes every record whose image ID is `id` (a full digest). Returns how many went.
Result<std::size_t> remove_images_by_id(ContentStore const& store, std::string const& id);

// Removes every record whose digest or manifest digest is `digest` (`rmi name@sha256:...`),
// within `repository` when it is not empty. Returns how many went.
Result<std::size_t> remove_images_by_digest(ContentStore const& store,
                                            std::string const& repository,
                                            std::string const& digest);

} // namespace microvm::image
