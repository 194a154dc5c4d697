// What the local transports (oci:, oci-archive:, docker-archive:) share: copying files into the
// content store with their digests verified, and recording the imported image.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "base/error.hpp"
#include "base/fd.hpp"
#include "host/image/registry/manifest.hpp"
#include "host/image/registry/platform.hpp"
#include "host/image/registry/pull.hpp"
#include "host/image/store/content_store.hpp"

namespace microvm::image {

// Where an imported image is recorded, and the platform picked from an index.
struct LocalImport {
    std::string repository; // "oci:/abs/layout"
    std::string tag;
    Platform platform;
};

// Copies the open file `file` (read from its start) into the store as blob `expected`,
// hashing it on the way: a file whose bytes do not match is rejected ("digest mismatch")
// and nothing is stored. A blob already in the store is not copied again. `what` names the
// file in errors.
Result<void> import_blob(ContentStore const& store, base::Fd const& file, Digest const& expected,
                         std::optional<std::uint64_t> size, std::string const& what);

// The SHA-256 of an open file from its start, and its size.
struct FileDigest {
    Digest digest;
    std::uint64_t size = 0;
};
Result<FileDigest> digest_of(base::Fd const& file, std::string const& what);

// Writes the tag-index record of an image whose blobs are all in the store: `top` is the
// digest the source named (an index's, or the manifest's own), `manifest_digest` the
// platform's manifest. Returns the image as pull_image() would.
Result<PulledImage> record_local_image(ContentStore const& store, LocalImport const& import,
                                       Digest const& top, Digest const& manifest_digest,
                                       ImageManifest manifest);

} // namespace microvm::image
