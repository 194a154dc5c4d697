// Extracting a local image archive (oci-archive:, docker-archive:) into a private temporary
// directory, through the same safe unpacker as image layers: an archive is untrusted input,
// so its entries cannot leave the directory, no device nodes are created, and sizes are capped.
#pragma once

#include <filesystem>

#include "base/error.hpp"
#include "base/temp_dir.hpp"
#include "host/image/store/content_store.hpp"

namespace microvm::image {

// Extracts the tar (optionally gzip or zstd compressed) `file` into a fresh directory inside
// the store (rootfs/.tmp-archive-*, removed with the returned owner, and by prune() after a
// crash). The caller holds lock_store(shared) while the directory exists, so a prune never
// removes it from under the import.
Result<base::TempDir> extract_archive(ContentStore const& store, std::filesystem::path const& file);

} // namespace microvm::image
