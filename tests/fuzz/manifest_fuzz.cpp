// Image manifests and indexes (host/image/registry/manifest.hpp) as a registry or a local
// archive serves them. Input: the Content-Type, a newline, then the body.
#include "fuzz_support.hpp"
#include "host/image/registry/manifest.hpp"

using namespace microvm;

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    auto const parts = fuzz::split(fuzz::as_text(data, size), "\n", 2);
    std::string_view const content_type = parts[0];
    std::string_view const body = parts[1];
    (void)image::config_created(body);
    auto const media_type = image::manifest_media_type(body, content_type);
    if (!media_type) {
        return 0;
    }
    (void)image::parse_image_manifest(body, *media_type);
    if (auto const index = image::parse_image_index(body, *media_type)) {
        (void)image::select_manifest(*index, image::Platform{"linux", "amd64", ""});
        (void)image::select_manifest(*index, image::Platform{"linux", "arm64", "v8"});
    }
    return 0;
}
