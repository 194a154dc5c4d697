#include "host/image/registry/client.hpp"

#include <curl/curl.h>

#include <thread>

#include "host/image/registry/auth_challenge.hpp"
#include "host/image/registry/endpoint.hpp"
#include "host/image/registry/media_types.hpp"
#include "host/image/registry/response_error.hpp"

namespace microvm::image::registry {

namespace {

// Manifests and tokens are small; a request that takes longer than this is stuck.
constexpr long small_request_timeout_s = 120;
// The HTTPS probe of a registry that may also speak plain HTTP.
constexpr long probe_timeout_s = 10;
constexpr std::size_t max_token_response_bytes = 1 << 20;

bool retryable_status(long status) {
    return status == 429 || status >= 500;
}

std::string escape(std::string const& text) {
    char* escaped = curl_easy_escape(nullptr, text.c_str(), static_cast<int>(text.size()));
    std::string out = escaped != nullptr ? escaped : "";
    curl_free(escaped);
    return out;
}

std::string auth_files_searched(AuthFileEnvironment const& env) {
    std::string text;
    for (auto const& path : auth_file_candidates(env)) {
        text += (text.empty() ? "" : ", ") + path.string();
    }
    return text.empty() ? "no auth file configured" : "looked in " + text;
}

} // namespace

Result<std::unique_ptr<RegistryClient>>
RegistryClient::connect(std::string registry, std::string repository, ClientOptions options) {
    std::unique_ptr<RegistryClient> client(
        new RegistryClient(std::move(registry), std::move(repository), std::move(options)));
    client->m_credentials = client->m_options.credentials;
    if (!client->m_credentials) {
        client->m_credentials = TRY_CTX(find_credentials(client->m_registry, client->m_repository,
                                                         client->m_options.auth_environment),
                                        "read registry credentials");
    }
    client->m_http = TRY(HttpClient::create());
    TRY(client->choose_scheme());
    return client;
}

Result<void> RegistryClient::choose_scheme() {
    auto const host = api_host(m_registry);
    m_base_url = "https://" + host;
    if (!allows_plain_http(m_registry, m_options.insecure_registries)) {
        return {};
    }
    // Registries on loopback usually speak plain HTTP, but TLS is preferred when offered.
    HttpRequest probe{.url = m_base_url + "/v2/", .total_timeout_s = probe_timeout_s};
    if (auto answer = m_http->perform(probe); !answer) {
        m_scheme = Scheme::http_allowed;
        m_base_url = "http://" + host;
    }
    return {};
}

std::string RegistryClient::url(std::string const& path) const {
    return m_base_url + "/v2/" + m_repository + path;
}

std::string RegistryClient::authorization() const {
    std::lock_guard lock(m_auth_mutex);
    return m_authorization;
}

Error RegistryClient::unauthorized(HttpResponse const& response) const {
    auto text = describe_response(response);
    if (m_credentials) {
        text += " (the credentials for " + m_registry + " were rejected)";
    } else {
        text += " (no credentials for " + m_registry + "; " +
                auth_files_searched(m_options.auth_environment) + ")";
    }
    return Error::message(std::move(text));
}

Result<HttpResponse>
RegistryClient::send_with_retries(HttpClient& http, HttpRequest const& request,
                                  BodySink const& sink, ProgressCallback const& progress,
                                  std::function<Result<void>()> const& before_attempt) {
    auto backoff = m_options.first_backoff;
    for (int attempt = 1;; ++attempt) {
        if (before_attempt) {
            TRY(before_attempt());
        }
        auto response = http.perform(request, sink, progress);
        bool const last = attempt >= m_options.max_attempts;
        if (!response) {
            if (last || !is_transient(response.error())) {
                if (attempt > 1) {
                    response.error().context("after " + std::to_string(attempt) + " attempts");
                }
                return response;
            }
        } else if (!retryable_status(response->status) || last) {
            return response;
        }
        std::this_thread::sleep_for(backoff);
        backoff *= 2;
    }
}

Result<HttpResponse> RegistryClient::send(HttpClient& http, HttpRequest request,
                                          BodySink const& sink, ProgressCallback const& progress,
                                          std::function<Result<void>()> const& before_attempt) {
    request.scheme = m_scheme;
    auto const plain_headers = request.headers;
    auto with_auth = [&](std::string const& auth) {
        request.headers = plain_headers;
        if (!auth.empty()) {
            request.headers.push_back("Authorization: " + auth);
        }
    };
    auto const used = authorization();
    with_auth(used);
    auto response = TRY(send_with_retries(http, request, sink, progress, before_attempt));
    if (response.status != 401) {
        return response;
    }
    TRY(authenticate(http, response, used));
    with_auth(authorization());
    return send_with_retries(http, request, sink, progress, before_attempt);
}

Result<void> RegistryClient::authenticate(HttpClient& http, HttpResponse const& challenge_response,
                                          std::string const& authorization_used) {
    std::lock_guard lock(m_auth_mutex);
    if (m_authorization != authorization_used) {
        return {}; // another thread answered the challenge meanwhile
    }
    std::optional<AuthChallenge> challenge;
    auto range = challenge_response.headers.equal_range("www-authenticate");
    for (auto it = range.first; it != range.second && !challenge; ++it) {
        if (auto parsed = parse_auth_challenge(it->second)) {
            challenge = std::move(*parsed);
        }
    }
    if (!challenge) {
        return std::unexpected(unauthorized(challenge_response));
    }
    std::string basic;
    if (m_credentials) {
        basic = "Basic " + base64_encode(m_credentials->username + ":" + m_credentials->password);
    }
    if (challenge->scheme == AuthChallenge::Scheme::basic) {
        if (!m_credentials) {
            return std::unexpected(unauthorized(challenge_response));
        }
        m_authorization = basic;
        return {};
    }
    auto const realm = *challenge->param("realm");
    std::string token_url = realm + (realm.find('?') == std::string::npos ? "?" : "&");
    if (auto service = challenge->param("service")) {
        token_url += "service=" + escape(*service) + "&";
    }
    token_url += "scope=" +
                 escape(challenge->param("scope").value_or("repository:" + m_repository + ":pull"));
    HttpRequest request{
        .url = token_url, .scheme = m_scheme, .total_timeout_s = small_request_timeout_s};
    if (!basic.empty()) {
        request.headers.push_back("Authorization: " + basic);
    }
    auto response = TRY_CTX(send_with_retries(http, request, {}, {}, {}), "fetch token");
    if (response.status == 401 || response.status == 403) {
        return std::unexpected(unauthorized(response).context("fetch token from " + realm));
    }
    if (!response.ok()) {
        return fail("fetch token from " + realm + ": " + describe_response(response));
    }
    if (response.body.size() > max_token_response_bytes) {
        return fail("fetch token from " + realm + ": response too large");
    }
    std::string const token = token_from_response(response.body);
    if (token.empty()) {
        return fail("fetch token from " + realm + ": the response holds no token");
    }
    m_authorization = "Bearer " + token;
    return {};
}

Result<FetchedManifest> RegistryClient::fetch_manifest(std::string const& tag_or_digest) {
    bool const by_digest = tag_or_digest.find(':') != std::string::npos;
    std::optional<Digest> expected;
    if (by_digest) {
        expected = TRY(Digest::parse(tag_or_digest));
    }
    HttpRequest request{.url = url("/manifests/" + tag_or_digest),
                        .headers = {"Accept: " + std::string(media_type::manifest_accept)},
                        .total_timeout_s = small_request_timeout_s};
    auto response = TRY(send(*m_http, request, {}, {}, {}));
    if (response.status == 401 || response.status == 403) {
        return std::unexpected(unauthorized(response));
    }
    if (response.status == 404) {
        auto const detail = " (" + describe_response(response) + ")";
        if (has_error_code(response, "NAME_UNKNOWN")) {
            return fail("unknown repository " + m_repository + " on " + m_registry + detail);
        }
        return fail(std::string(by_digest ? "unknown manifest " : "unknown tag ") + "\"" +
                    tag_or_digest + "\" in " + m_registry + "/" + m_repository + detail);
    }
    if (!response.ok()) {
        return fail(describe_response(response));
    }
    if (response.body.size() > max_manifest_bytes) {
        return fail("manifest is larger than " + std::to_string(max_manifest_bytes) + " bytes");
    }
    auto media = TRY(manifest_media_type(response.body, response.header("content-type")));
    TRY(manifest_kind(media));
    auto digest = Digest::of(response.body);
    if (expected && digest != *expected) {
        return fail("digest mismatch: expected " + expected->text() + ", got " + digest.text());
    }
    // By tag, the registry's own digest header is the only thing to check against.
    if (auto header = response.header("docker-content-digest"); !expected && !header.empty()) {
        if (auto claimed = Digest::parse(header); claimed && *claimed != digest) {
            return fail("digest mismatch: registry says " + claimed->text() + ", got " +
                        digest.text());
        }
    }
    return FetchedManifest{std::move(response.body), std::move(media), std::move(digest)};
}

Result<void> RegistryClient::fetch_blob(Descriptor const& blob, BlobWriter& writer,
                                        ProgressCallback const& progress) {
    auto http = TRY(HttpClient::create());
    HttpRequest request{.url = url("/blobs/" + blob.digest.text())};
    auto response = TRY(send(
        http, request, [&](std::string_view chunk) { return writer.write(chunk); }, progress,
        [&] { return writer.restart(); }));
    if (response.status == 401 || response.status == 403) {
        return std::unexpected(unauthorized(response));
    }
    if (response.status == 404) {
        return fail("unknown blob " + blob.digest.text() + " in " + m_registry + "/" +
                    m_repository + " (" + describe_response(response) + ")");
    }
    if (!response.ok()) {
        return fail(describe_response(response));
    }
    return writer.commit();
}

} // namespace microvm::image::registry
