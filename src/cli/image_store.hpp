// The image store the image verbs (pull, images, rmi, image prune) work on: the one in the
// data directory ($MICROVM_DATA_DIR, ...), the same one `run` uses.
#pragma once

#include "base/error.hpp"
#include "host/image/store/content_store.hpp"

namespace microvm::cli {

Result<image::ContentStore> open_store();

} // namespace microvm::cli
