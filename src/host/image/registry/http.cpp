#include "host/image/registry/http.hpp"

#include <curl/curl.h>

#include <cctype>
#include <cerrno>
#include <mutex>
#include <optional>
#include <utility>

namespace microvm::image::registry {

namespace {

// Error bodies are only read for their message.
constexpr std::size_t max_error_body_bytes = 64 << 10;
constexpr long connect_timeout_s = 30;
// A transfer that moves less than 1 byte per second for this long counts as timed out.
constexpr long stall_timeout_s = 60;
constexpr long max_redirects = 10;

// Everything the callbacks of one transfer need.
struct Transfer {
    CURL* handle = nullptr;
    BodySink const* sink = nullptr;
    ProgressCallback const* progress = nullptr;
    std::size_t max_body_bytes = 0;
    HttpResponse response;
    std::optional<Error> failure;
};

void global_init() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() &&
           (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
        s.remove_suffix(1);
    }
    return s;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
    auto& transfer = *static_cast<Transfer*>(user);
    std::string_view line(data, size * count);
    if (line.starts_with("HTTP/")) {
        // A new response (after a redirect or a 100 Continue): forget the previous headers.
        transfer.response.headers.clear();
    } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
        transfer.response.headers.emplace(lower(trim(line.substr(0, colon))),
                                          std::string(trim(line.substr(colon + 1))));
    }
    return size * count;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
    auto& transfer = *static_cast<Transfer*>(user);
    std::string_view chunk(data, size * count);
    long status = 0;
    curl_easy_getinfo(transfer.handle, CURLINFO_RESPONSE_CODE, &status);
    bool const ok = status >= 200 && status < 300;
    if (ok && transfer.sink != nullptr && *transfer.sink) {
        if (auto written = (*transfer.sink)(chunk); !written) {
            transfer.failure = std::move(written.error());
            return 0; // aborts the transfer with CURLE_WRITE_ERROR
        }
        return chunk.size();
    }
    std::size_t const limit = ok ? transfer.max_body_bytes : max_error_body_bytes;
    if (transfer.response.body.size() + chunk.size() > limit) {
        if (!ok) {
            return chunk.size(); // keep the start of the error body; enough for a message
        }
        transfer.failure =
            Error::message("response body exceeds " + std::to_string(limit) + " bytes");
        return 0;
    }
    transfer.response.body.append(chunk);
    return chunk.size();
}

int on_progress(void* user, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
    auto& transfer = *static_cast<Transfer*>(user);
    if (transfer.progress != nullptr && *transfer.progress) {
        (*transfer.progress)(static_cast<std::uint64_t>(now), static_cast<std::uint64_t>(total));
    }
    return 0;
}

// Maps the curl errors a retry may cure onto errno values, so callers can classify them.
int errno_for(CURLcode code) {
    switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
        return ETIMEDOUT;
    case CURLE_COULDNT_CONNECT:
        return ECONNREFUSED;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return ECONNRESET;
    default:
        return 0;
    }
}

} // namespace

std::string HttpResponse::header(std::string const& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
}

Result<HttpClient> HttpClient::create() {
    global_init();
    CURL* handle = curl_easy_init();
    if (handle == nullptr) {
        return fail("curl_easy_init failed");
    }
    return HttpClient(handle);
}

HttpClient::HttpClient(HttpClient&& other) noexcept
    : m_handle(std::exchange(other.m_handle, nullptr)) {}

HttpClient& HttpClient::operator=(HttpClient&& other) noexcept {
    if (this != &other) {
        if (m_handle != nullptr) {
            curl_easy_cleanup(m_handle);
        }
        m_handle = std::exchange(other.m_handle, nullptr);
    }
    return *this;
}

HttpClient::~HttpClient() {
    if (m_handle != nullptr) {
        curl_easy_cleanup(m_handle);
    }
}

Result<HttpResponse> HttpClient::perform(HttpRequest const& request, BodySink const& sink,
                                         ProgressCallback const& progress,
                                         std::size_t max_body_bytes) {
    // reset() keeps the connection cache, so follow-up requests reuse the connection.
    curl_easy_reset(m_handle);
    Transfer transfer{m_handle, &sink, &progress, max_body_bytes, {}, std::nullopt};
    char error_buffer[CURL_ERROR_SIZE] = {};
    struct curl_slist* headers = nullptr;
    for (auto const& h : request.headers) {
        headers = curl_slist_append(headers, h.c_str());
    }
    char const* protocols = request.scheme == Scheme::https_only ? "https" : "http,https";
    CURL* h = m_handle;
    curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_NOBODY, request.method == Method::head ? 1L : 0L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, protocols);
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, protocols);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, max_redirects);
    // Threads: no SIGALRM-based DNS timeouts.
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, connect_timeout_s);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, stall_timeout_s);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, request.total_timeout_s);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "microvm/0.1");
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &transfer);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &transfer);
    if (progress) {
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, &transfer);
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    }
    CURLcode code = curl_easy_perform(h);
    curl_slist_free_all(headers);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);

    std::string const operation =
        std::string(request.method == Method::head ? "HEAD " : "GET ") + request.url;
    if (transfer.failure) {
        return std::unexpected(std::move(*transfer.failure));
    }
    if (code != CURLE_OK) {
        std::string message = operation + ": " + curl_easy_strerror(code);
        if (error_buffer[0] != '\0') {
            message += " (" + std::string(trim(error_buffer)) + ")";
        }
        if (int e = errno_for(code); e != 0) {
            return std::unexpected(Error::from_errno(message, e));
        }
        return fail(message);
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &transfer.response.status);
    return std::move(transfer.response);
}

bool is_transient(Error const& error) {
    int e = error.errno_value();
    return e == ETIMEDOUT || e == ECONNREFUSED || e == ECONNRESET;
}

} // namespace microvm::image::registry
