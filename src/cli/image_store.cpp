#include "cli/image_store.hpp"

#include "host/microvm/data_dir.hpp"
#include "host/microvm/image_source.hpp"

namespace microvm::cli {

Result<image::ContentStore> open_store() {
    auto const data_dir = TRY_CTX(resolve_data_dir(), "data directory");
    return open_image_store(data_dir);
}

} // namespace microvm::cli
