// A bearer-token service for docker-registry's token auth: answers GET /token?service=&scope=
// with a JWT (RS256, the certificate in the x5c header) granting pull and push on the
// requested repositories, as Docker Hub's auth.docker.io does for anonymous pulls.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "fake_http_server.hpp"
#include "local_registry.hpp"

namespace microvm::test {

class TokenIssuer {
public:
    // Makes a key and a self-signed certificate in `dir` (openssl req) and starts serving.
    // Throws std::runtime_error on failure.
    explicit TokenIssuer(std::filesystem::path const& dir);

    // What to put in the registry's config.
    TokenAuthority authority() const;
    // The token requests served so far.
    std::vector<FakeRequest> requests() const { return m_server->requests(); }

private:
    FakeResponse issue(FakeRequest const& request) const;

    std::filesystem::path m_key;
    std::filesystem::path m_cert;
    std::string m_cert_der_base64;
    std::unique_ptr<FakeHttpServer> m_server;
};

} // namespace microvm::test
