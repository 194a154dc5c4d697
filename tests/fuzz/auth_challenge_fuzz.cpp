// A registry's WWW-Authenticate header (host/image/registry/auth_challenge.hpp).
#include "fuzz_support.hpp"
#include "host/image/registry/auth_challenge.hpp"

using namespace microvm;

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    (void)image::registry::parse_auth_challenge(fuzz::as_text(data, size));
    return 0;
}
