// A client of one repository on one registry (OCI distribution API): manifests and blobs,
// with authentication and retries.
//
// Authentication follows the registry's 401 challenge: Bearer (a token from the realm,
// anonymous or with the user's credentials) or Basic (the user's credentials). Transient
// failures (5xx, 429, timeouts, dropped connections) are retried a bounded number of times
// with exponential backoff; every other failure is reported at once.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "host/image/registry/auth_file.hpp"
#include "host/image/registry/http.hpp"
#include "host/image/registry/manifest.hpp"
#include "host/image/store/content_store.hpp"

namespace microvm::image::registry {

struct ClientOptions {
    // Registries ("host[:port]") that may be reached over plain HTTP besides loopback ones.
    std::vector<std::string> insecure_registries = {};
    // Credentials to use instead of the auth files.
    std::optional<Credentials> credentials = std::nullopt;
    // Where the auth files are looked for.
    AuthFileEnvironment auth_environment = AuthFileEnvironment::from_process();
    // Attempts per request, the first included.
    int max_attempts = 4;
    std::chrono::milliseconds first_backoff{250};
};

// A manifest as the registry served it.
struct FetchedManifest {
    std::string bytes;
    std::string media_type; // from the document, else the Content-Type
    Digest digest;          // of `bytes`; verified to equal the one asked for, if any
};

class RegistryClient {
public:
    // A client for `repository` on `registry` ("docker.io", "127.0.0.1:5055"). Chooses the
    // scheme: HTTPS, or for a registry that allows plain HTTP (loopback or insecure), HTTPS
    // when it answers TLS and HTTP otherwise. Fails when credentials cannot be read or the
    // registry cannot be reached.
    static Result<std::unique_ptr<RegistryClient>>
    connect(std::string registry, std::string repository, ClientOptions options);

    // Worker threads share one client, so it stays where it was made.
    RegistryClient(RegistryClient&&) = delete;

    // GET /v2/<repository>/manifests/<tag or digest>. A manifest fetched by digest must hash
    // to it ("digest mismatch: expected ..., got ..."). Fails with "unknown tag" / "unknown
    // manifest" / "unknown repository" on 404, the status and the registry's message on other
    // errors, and "unsupported media type X" for a manifest kind we cannot read.
    Result<FetchedManifest> fetch_manifest(std::string const& tag_or_digest);

    // GET /v2/<repository>/blobs/<digest>, streamed into `writer` (which hashes as bytes arrive
    // and refuses more than the declared size), then committed: the blob gets its name in the
    // store only when the digest matched. Safe to call from several threads at once.
    Result<void> fetch_blob(Descriptor const& blob, BlobWriter& writer,
                            ProgressCallback const& progress = {});

    std::string const& registry() const { return m_registry; }
    std::string const& repository() const { return m_repository; }

private:
    RegistryClient(std::string registry, std::string repository, ClientOptions options)
        : m_registry(std::move(registry)), m_repository(std::move(repository)),
          m_options(std::move(options)) {}

    Result<void> choose_scheme();
    // Sends `request` with the current Authorization, answering one 401 challenge and
    // retrying transient failures. `before_attempt` runs before each attempt (to restart a
    // partially written blob).
    Result<HttpResponse> send(HttpClient& http, HttpRequest request, BodySink const& sink,
                              ProgressCallback const& progress,
                              std::function<Result<void>()> const& before_attempt);
    Result<HttpResponse> send_with_retries(HttpClient& http, HttpRequest const& request,
                                           BodySink const& sink, ProgressCallback const& progress,
                                           std::function<Result<void>()> const& before_attempt);
    // Answers `challenge_response` (a 401): fetches a token or prepares Basic credentials.
    // Fails when no credentials exist for a Basic challenge or the token request fails.
    Result<void> authenticate(HttpClient& http, HttpResponse const& challenge_response,
                              std::string const& authorization_used);
    std::string authorization() const;
    std::string url(std::string const& path) const;
    Error unauthorized(HttpResponse const& response) const;

    std::string m_registry;
    std::string m_repository;
    ClientOptions m_options;
    Scheme m_scheme = Scheme::https_only;
    std::string m_base_url; // "https://host[:port]"
    std::optional<Credentials> m_credentials;
    std::optional<HttpClient> m_http; // for manifests; blobs use one per call

    mutable std::mutex m_auth_mutex;
    std::string m_authorization; // the Authorization header value, empty when anonymous
};

} // namespace microvm::image::registry
