// Registry auth files (host/image/registry/auth_file.hpp): docker's config.json, podman's
// auth.json. Input: the file, then the registry and the repository looked up, separated by
// NUL bytes (missing ones are Docker Hub's alpine).
#include "fuzz_support.hpp"
#include "host/image/registry/auth_file.hpp"

using namespace microvm;

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    auto const parts = fuzz::split(fuzz::as_text(data, size), std::string_view("\0", 1), 3);
    std::string_view const registry = parts[1].empty() ? "docker.io" : parts[1];
    std::string_view const repository = parts[2].empty() ? "library/alpine" : parts[2];
    (void)image::registry::auth_entry_from_json(parts[0], registry, repository);
    // The "auth" values are base64: decoding what was encoded gives the bytes back.
    auto const decoded = image::registry::base64_decode(image::registry::base64_encode(parts[0]));
    if (!decoded || *decoded != parts[0]) {
        fuzz::finding("base64 does not round-trip");
    }
    (void)image::registry::base64_decode(parts[0]);
    return 0;
}
