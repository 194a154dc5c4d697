// Importing an image from a tar of an OCI image layout (`oci-archive:FILE[:IMAGE]`).
#pragma once

#include <filesystem>
#include <string>

#include "base/error.hpp"
#include "host/image/local/blob_import.hpp"

namespace microvm::image {

// Extracts `file` safely (archive_extract.hpp) and imports `image` from the layout in it as
// import_oci_layout() does. The extracted copy is removed afterwards.
Result<PulledImage> import_oci_archive(ContentStore const& store, std::filesystem::path const& file,
                                       std::string const& image, LocalImport const& import);

} // namespace microvm::image
