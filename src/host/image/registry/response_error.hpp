// Turning a failed registry response into a message: the HTTP status and what the
// distribution API's JSON error body says ({"errors":[{"code":"MANIFEST_UNKNOWN",...}]}).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "host/image/registry/http.hpp"

namespace microvm::image::registry {

struct RegistryError {
    std::string code;    // "MANIFEST_UNKNOWN", "NAME_UNKNOWN", "UNAUTHORIZED", ...
    std::string message; // "manifest unknown"
};

// The errors of a distribution API error body; empty when the body is not one.
std::vector<RegistryError> parse_error_body(std::string_view body);

// "404 Not Found".
std::string status_line(long status);

// "404 Not Found: manifest unknown (MANIFEST_UNKNOWN)", or the status line followed by the
// start of a non-JSON body when it is short and printable.
std::string describe_response(HttpResponse const& response);

// Whether the response names one of the error codes `code`.
bool has_error_code(HttpResponse const& response, std::string_view code);

} // namespace microvm::image::registry
