// Where unpacked root file systems live, and the lock that makes "one unpack" true across
// processes. The unpacking itself belongs to unpack_image() (host/image/unpack*), which
// unpacks into a temporary directory and renames it to the final path.
#pragma once

#include <filesystem>
#include <functional>

#include "base/error.hpp"
#include "host/image/store/content_store.hpp"
#include "host/image/store/digest.hpp"

namespace microvm::image {

// Unpacks into `final_path`, which does not exist yet: stage the tree in a temporary directory
// under final_path.parent_path() (the same file system) and rename it to final_path.
using UnpackInto = std::function<Result<void>(std::filesystem::path const& final_path)>;

// Returns <images>/rootfs/<manifest hex>, calling `unpack` first when it is not there yet.
// The rootfs lock is held exclusively around check-and-unpack, so concurrent callers for one
// image (threads or processes) run `unpack` once and the others wait and reuse its result;
// the store lock is held shared meanwhile, so prune() waits for the unpack to finish.
// With unpack_image(): [&](auto const& dir) { return unpack_image(layers, dir).transform(...); }
// Fails when `unpack` fails or returns without creating the directory; a published rootfs is
// never written again.
Result<std::filesystem::path> ensure_rootfs(ContentStore const& store, Digest const& manifest,
                                            UnpackInto const& unpack);

} // namespace microvm::image
