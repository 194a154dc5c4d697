// What a registry answers besides manifests (host/image/registry/response_error.hpp,
// auth_challenge.hpp): the JSON error body of a failed request, turned into a message, and the
// token server's answer to a Bearer challenge.
#include "fuzz_support.hpp"
#include "host/image/registry/auth_challenge.hpp"
#include "host/image/registry/response_error.hpp"

using namespace microvm;
using namespace microvm::image::registry;

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    std::string body(fuzz::as_text(data, size));
    (void)token_from_response(body);
    HttpResponse const response{.status = 404, .body = std::move(body)};
    (void)describe_response(response);
    (void)has_error_code(response, "NAME_UNKNOWN");
    return 0;
}
