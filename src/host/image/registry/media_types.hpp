// The media types of the OCI image spec and Docker's schema 2, and what the client accepts.
#pragma once

#include <string_view>

#include "base/error.hpp"

namespace microvm::image::media_type {

inline constexpr std::string_view oci_manifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view oci_index = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view oci_config = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view docker_manifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view docker_manifest_list =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view docker_config = "application/vnd.docker.container.image.v1+json";

// The Accept header for manifest requests: the four kinds we can read, nothing else, so a
// registry that only has a schema-1 manifest answers with an error instead of one we would
// have to reject after downloading it.
inline constexpr std::string_view manifest_accept =
    "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json";

} // namespace microvm::image::media_type

namespace microvm::image {

enum class ManifestKind {
    image, // an OCI image manifest or a Docker schema-2 manifest: config + layers
    index, // an OCI image index or a Docker manifest list: one manifest per platform
};

// What a manifest media type is. Parameters (";charset=utf-8") are ignored. Fails with
// "unsupported media type X" for anything else, naming schema 1 when that is what it is.
Result<ManifestKind> manifest_kind(std::string_view media_type);

// Whether a layer media type is one the unpacker can read (tar, optionally gzip or zstd;
// OCI and Docker spellings, including the non-distributable variants).
bool is_supported_layer(std::string_view media_type);

} // namespace microvm::image
