#include "host/image/local/oci_archive.hpp"

#include "host/image/local/archive_extract.hpp"
#include "host/image/local/oci_layout.hpp"

namespace microvm::image {

Result<PulledImage> import_oci_archive(ContentStore const& store, std::filesystem::path const& file,
                                       std::string const& image, LocalImport const& import) {
    auto store_lock = TRY_CTX(store.lock_store(LockMode::shared), "lock image store");
    auto const extracted = TRY(extract_archive(store, file));
    return import_oci_layout(store, extracted.path(), image, import);
}

} // namespace microvm::image
