// Image manifests and indexes (OCI image spec, Docker schema 2) as the puller needs them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "host/image/registry/platform.hpp"
#include "host/image/store/digest.hpp"

namespace microvm::image {

// Registries refuse manifests above 4 MiB; a larger body is not a manifest.
inline constexpr std::size_t max_manifest_bytes = 4 << 20;
// Image configs are small JSON documents; this bound keeps a hostile one from exhausting memory.
inline constexpr std::size_t max_config_bytes = 8 << 20;

// A reference to content: what it is, its digest and its size.
struct Descriptor {
    std::string media_type;
    Digest digest;
    std::uint64_t size = 0;
    std::optional<Platform> platform; // set in index entries that say
};

struct ImageManifest {
    std::string media_type;
    Descriptor config;
    std::vector<Descriptor> layers; // base layer first
};

struct ImageIndex {
    std::string media_type;
    std::vector<Descriptor> manifests;
};

// The media type of a manifest document: its "mediaType" field, else `content_type` (the
// HTTP Content-Type it came with). Fails when the body is not a JSON object.
Result<std::string> manifest_media_type(std::string_view bytes, std::string_view content_type);

// Parses an image manifest. Fails when it does not parse, lacks the config or the layers,
// holds a descriptor with a missing or non-sha256 digest or a negative size, names a config
// that is not an image config ("unsupported media type ... (not a container image)"), or a
// layer media type the unpacker cannot read.
Result<ImageManifest> parse_image_manifest(std::string_view bytes, std::string_view media_type);

// Parses an image index or manifest list. Fails when it does not parse or an entry is
// malformed; entries of media types other than manifests are kept (selection skips them).
Result<ImageIndex> parse_image_index(std::string_view bytes, std::string_view media_type);

// Picks the manifest for `wanted` from `index` (see platform_matches). Fails with "no image
// for platform linux/amd64 (available: linux/arm64/v8, ...)" when none matches.
Result<Descriptor> select_manifest(ImageIndex const& index, Platform const& wanted);

// The "created" time (RFC 3339) of an image config, empty when it has none or is not JSON.
std::string config_created(std::string_view config_bytes);

} // namespace microvm::image
