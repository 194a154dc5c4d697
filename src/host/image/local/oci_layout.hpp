// Importing an image from an OCI image layout directory (`oci:DIR[:IMAGE]`): index.json names
// the image, its manifest (or the platform's manifest of an index) names the config and the
// layers, and every blob is copied into the content store with its digest verified.
#pragma once

#include <filesystem>
#include <string>

#include "base/error.hpp"
#include "host/image/local/blob_import.hpp"

namespace microvm::image {

// Imports image `image` of the layout in `dir`: the index.json entry whose
// "org.opencontainers.image.ref.name" annotation is `image`, or, when `image` is empty, the
// layout's only entry. The layout is read through the safe-file layer (RESOLVE_IN_ROOT), so a
// symlink planted in an extracted archive cannot make us read a host file. Fails when the
// layout has no index.json, no such image (the message lists the names it has), several
// images and none was named, a blob is missing, or a blob does not match its digest.
Result<PulledImage> import_oci_layout(ContentStore const& store, std::filesystem::path const& dir,
                                      std::string const& image, LocalImport const& import);

} // namespace microvm::image
