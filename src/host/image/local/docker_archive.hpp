// Importing an image from the output of `docker save` (`docker-archive:FILE[:REF]`).
//
// The archive's manifest.json lists, per image, the config file, the repository tags and the
// layer files, bottom first. Layers are usually uncompressed tars named by path, not digest,
// so their digests are computed here; the image is stored as an OCI manifest made from them.
#pragma once

#include <filesystem>
#include <optional>

#include "base/error.hpp"
#include "host/image/local/blob_import.hpp"
#include "host/image/reference.hpp"

namespace microvm::image {

// Extracts `file` safely (archive_extract.hpp) and imports the image tagged `reference`, or,
// when unset, the archive's only image. Paths named in manifest.json are resolved inside the
// extracted archive (RESOLVE_IN_ROOT). Fails when manifest.json is missing or malformed, no
// image (or several) match, or a named file is missing.
Result<PulledImage> import_docker_archive(ContentStore const& store,
                                          std::filesystem::path const& file,
                                          std::optional<Reference> const& reference,
                                          LocalImport const& import);

} // namespace microvm::image
