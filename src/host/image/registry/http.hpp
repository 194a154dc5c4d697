// A small HTTP client on libcurl for the registry protocol: one request at a time per
// HttpClient, the body either collected or streamed to a sink as it arrives.
//
// An HttpClient owns one curl easy handle, so connections are reused across its requests.
// It is not thread-safe; give each thread its own.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

typedef void CURL;

namespace microvm::image::registry {

// Receives a successful (2xx) response body chunk by chunk. An error stops the transfer and
// becomes the result of perform().
using BodySink = std::function<Result<void>(std::string_view chunk)>;
// Called as bytes arrive: (received so far, total expected or 0 when unknown).
using ProgressCallback = std::function<void(std::uint64_t received, std::uint64_t total)>;

enum class Method { get, head };
enum class Scheme { https_only, http_allowed };

struct HttpRequest {
    Method method = Method::get;
    std::string url = {};
    std::vector<std::string> headers = {}; // "Name: value"
    // Which protocols the request and any redirect may use; plain HTTP only when the
    // registry was allowed to be insecure.
    Scheme scheme = Scheme::https_only;
    // Upper bound on the whole transfer in seconds, 0 for none (blobs may be large; they are
    // bounded by the stall timeout instead).
    long total_timeout_s = 0;
};

struct HttpResponse {
    long status = 0;
    // Header names lowercased; only the final response's headers after redirects.
    std::multimap<std::string, std::string> headers;
    // The body of a response that was not streamed: every non-2xx response (bounded, for the
    // error message) and 2xx responses when no sink was given.
    std::string body;

    // The first value of header `name` (lowercase), or "".
    std::string header(std::string const& name) const;
    bool ok() const { return status >= 200 && status < 300; }
};

class HttpClient {
public:
    // Fails only when libcurl cannot create a handle.
    static Result<HttpClient> create();

    HttpClient(HttpClient&& other) noexcept;
    HttpClient& operator=(HttpClient&& other) noexcept;
    HttpClient(HttpClient const&) = delete;
    HttpClient& operator=(HttpClient const&) = delete;
    ~HttpClient();

    // Sends `request`. Any HTTP status is a response; the error cases are transport failures
    // ("GET <url>: Couldn't connect to server ..."), which carry ETIMEDOUT, ECONNREFUSED or
    // ECONNRESET when they are worth retrying (see is_transient), a 2xx body larger than
    // `max_body_bytes` when collected, and an error returned by `sink`.
    Result<HttpResponse> perform(HttpRequest const& request, BodySink const& sink = {},
                                 ProgressCallback const& progress = {},
                                 std::size_t max_body_bytes = 16 << 20);

private:
    explicit HttpClient(CURL* handle) : m_handle(handle) {}
    CURL* m_handle = nullptr;
};

// Whether a perform() error is a timeout or a dropped connection, which a retry may cure.
bool is_transient(Error const& error);

} // namespace microvm::image::registry
