// The WWW-Authenticate challenge of a registry (RFC 7235), e.g.
//   Bearer
//   realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace microvm::image::registry {

struct AuthChallenge {
    enum class Scheme { basic, bearer };
    Scheme scheme = Scheme::basic;
    // Parameter names lowercased ("realm", "service", "scope"); values unquoted and unescaped.
    std::map<std::string, std::string> params;

    std::optional<std::string> param(std::string const& name) const;
};

// Parses one WWW-Authenticate header value. The scheme is matched case-insensitively; quoted
// and bare parameter values are both accepted. Fails on a scheme other than Basic or Bearer,
// on a Bearer challenge without a realm, and on malformed syntax (an unterminated quote).
Result<AuthChallenge> parse_auth_challenge(std::string_view header);

// The token in a token server's answer to a Bearer challenge: {"token": "..."}, else OAuth's
// {"access_token": "..."}. Empty when the body is not a JSON object holding either as a
// non-empty string.
std::string token_from_response(std::string_view body);

} // namespace microvm::image::registry
