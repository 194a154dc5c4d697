#include "host/image/registry/media_types.hpp"

#include <array>
#include <string>

namespace microvm::image {

namespace {

std::string_view without_parameters(std::string_view media_type) {
    auto semicolon = media_type.find(';');
    auto type = media_type.substr(0, semicolon);
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) {
        type.remove_suffix(1);
    }
    return type;
}

} // namespace

Result<ManifestKind> manifest_kind(std::string_view media_type) {
    auto const type = without_parameters(media_type);
    if (type == media_type::oci_manifest || type == media_type::docker_manifest) {
        return ManifestKind::image;
    }
    if (type == media_type::oci_index || type == media_type::docker_manifest_list) {
        return ManifestKind::index;
    }
    if (type.starts_with("application/vnd.docker.distribution.manifest.v1")) {
        return fail("unsupported media type " + std::string(type) +
                    " (Docker schema 1 manifests are deprecated and not supported)");
    }
    if (type.empty()) {
        return fail("unsupported media type: the manifest does not name one");
    }
    return fail("unsupported media type " + std::string(type));
}

bool is_supported_layer(std::string_view media_type) {
    static constexpr std::array<std::string_view, 10> supported = {
        "application/vnd.oci.image.layer.v1.tar",
        "application/vnd.oci.image.layer.v1.tar+gzip",
        "application/vnd.oci.image.layer.v1.tar+zstd",
        "application/vnd.oci.image.layer.nondistributable.v1.tar",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
        "application/vnd.docker.image.rootfs.diff.tar",
        "application/vnd.docker.image.rootfs.diff.tar.gzip",
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
        "application/vnd.docker.image.rootfs.diff.tar.zstd",
    };
    auto const type = without_parameters(media_type);
    for (auto s : supported) {
        if (type == s) {
            return true;
        }
    }
    return false;
}

} // namespace microvm::image
