#include "host/image/local/archive_extract.hpp"

#include <array>

#include "host/image/unpack/unpack.hpp"

namespace microvm::image {

Result<base::TempDir> extract_archive(ContentStore const& store,
                                      std::filesystem::path const& file) {
    auto dir =
        TRY_CTX(base::TempDir::create(store.rootfs_dir(), ".tmp-archive-"), "extract archive");
    std::array<std::filesystem::path, 1> const layers{file};
    TRY_CTX(unpack_layers(layers, dir.path()), "extract " + file.string());
    return dir;
}

} // namespace microvm::image
