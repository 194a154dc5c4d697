#include "host/image/registry/endpoint.hpp"

#include <arpa/inet.h>

#include <algorithm>

namespace microvm::image::registry {

namespace {

// "host:port" -> "host"; "[::1]:5000" -> "::1".
std::string host_part(std::string_view registry) {
    if (registry.starts_with('[')) {
        auto close = registry.find(']');
        return std::string(registry.substr(1, close == std::string_view::npos ? close : close - 1));
    }
    return std::string(registry.substr(0, registry.find(':')));
}

} // namespace

std::string api_host(std::string_view registry) {
    if (registry == "docker.io" || registry == "index.docker.io") {
        return "registry-1.docker.io";
    }
    return std::string(registry);
}

bool is_loopback_registry(std::string_view registry) {
    auto const host = host_part(registry);
    if (host == "localhost") {
        return true;
    }
    in_addr v4{};
    if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) {
        return (ntohl(v4.s_addr) >> 24) == 127;
    }
    in6_addr v6{};
    if (::inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
        return IN6_IS_ADDR_LOOPBACK(&v6);
    }
    return false;
}

bool allows_plain_http(std::string_view registry,
                       std::vector<std::string> const& insecure_registries) {
    return is_loopback_registry(registry) ||
           std::find(insecure_registries.begin(), insecure_registries.end(), registry) !=
               insecure_registries.end();
}

} // namespace microvm::image::registry
