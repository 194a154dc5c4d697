// Applying one layer blob to a root being unpacked.
#pragma once

#include <filesystem>

#include "base/error.hpp"
#include "host/image/unpack/limits.hpp"
#include "host/image/unpack/tree_writer.hpp"

namespace microvm::image {

// Reads the tar layer at `path` (uncompressed, gzip or zstd) and applies each entry through
// `writer`: files, directories, symlinks and hard links are created, whiteouts delete from
// lower layers and are never written themselves. Character and block devices, FIFOs and
// sockets are skipped and counted: a device node in an image would give the guest (or a
// host process that opens it) access to host hardware, and the guest's /dev is a devtmpfs
// anyway. `stats` accumulates across layers, and `limits` applies to the running totals.
// Fails, naming the entry, on a hostile or corrupt entry (a ".." name, a hard link whose
// target crosses a symlink or is not a regular file, a name or link longer than the limit),
// on an exceeded limit, or on an I/O error; what was written so far stays in the root.
Result<void> apply_layer(std::filesystem::path const& path, TreeWriter& writer,
                         UnpackLimits const& limits, UnpackStats& stats);

} // namespace microvm::image
