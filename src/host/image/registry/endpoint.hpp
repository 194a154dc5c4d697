// Where a registry name ("docker.io", "127.0.0.1:5055", "[::1]:5000") is reached, and
// whether plain HTTP is acceptable for it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace microvm::image::registry {

// The host[:port] that serves the registry API: Docker Hub's names map to
// registry-1.docker.io, every other registry serves its own name.
std::string api_host(std::string_view registry);

// Whether `registry` is on the loopback interface: "localhost", 127.0.0.0/8 or ::1, with or
// without a port. Traffic to it never leaves the machine, so plain HTTP is acceptable.
bool is_loopback_registry(std::string_view registry);

// Whether plain HTTP may be used: loopback, or named in `insecure_registries` (exact
// "host[:port]" match, so naming "example.com" does not cover "example.com:5000").
bool allows_plain_http(std::string_view registry,
                       std::vector<std::string> const& insecure_registries);

} // namespace microvm::image::registry
