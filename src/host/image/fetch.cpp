#include "host/image/fetch.hpp"

#include <filesystem>

#include "host/image/local/docker_archive.hpp"
#include "host/image/local/oci_archive.hpp"
#include "host/image/local/oci_layout.hpp"

namespace microvm::image {

RecordName record_name(Source const& source) {
    if (source.transport == Transport::registry) {
        return {.repository = source.reference->name(), .tag = source.reference->tag};
    }
    std::error_code ec;
    auto const absolute = std::filesystem::absolute(source.path, ec).lexically_normal();
    std::string tag = source.image;
    if (source.transport == Transport::docker_archive && source.reference) {
        tag = source.reference->to_string();
    }
    return {.repository = std::string(transport_name(source.transport)) + ":" +
                          (ec ? source.path : absolute).string(),
            .tag = tag.empty() ? std::string(default_tag) : tag};
}

Result<PulledImage> fetch_image(ContentStore const& store, Source const& source,
                                PullOptions const& options, PullPolicy policy) {
    auto const name = record_name(source);
    LocalImport const import{
        .repository = name.repository,
        .tag = name.tag,
        .platform = options.platform.value_or(host_platform()),
    };
    switch (source.transport) {
    case Transport::registry:
        return ensure_image(store, *source.reference, options, policy);
    case Transport::oci_layout:
        return TRY_CTX(import_oci_layout(store, source.path, source.image, import),
                       "import " + source.to_string());
    case Transport::oci_archive:
        return TRY_CTX(import_oci_archive(store, source.path, source.image, import),
                       "import " + source.to_string());
    case Transport::docker_archive:
        return TRY_CTX(import_docker_archive(store, source.path, source.reference, import),
                       "import " + source.to_string());
    }
    return fail("unknown transport");
}

} // namespace microvm::image
