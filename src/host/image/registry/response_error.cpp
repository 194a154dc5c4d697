#include "host/image/registry/response_error.hpp"

#include <nlohmann/json.hpp>

namespace microvm::image::registry {

namespace {

// A plain-text body longer than this is a web page, not a message worth quoting.
constexpr std::size_t max_quoted_body = 200;

char const* reason(long status) {
    switch (status) {
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 406:
        return "Not Acceptable";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return nullptr;
    }
}

bool printable(std::string_view text) {
    for (unsigned char c : text) {
        if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') {
            return false;
        }
    }
    return true;
}

} // namespace

std::vector<RegistryError> parse_error_body(std::string_view body) {
    std::vector<RegistryError> errors;
    auto doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object()) {
        return errors;
    }
    auto list = doc.find("errors");
    if (list == doc.end() || !list->is_array()) {
        return errors;
    }
    // A field that is not a string counts as absent (json::value(key, "") would throw), and an
    // error with neither is not one.
    auto const text = [](nlohmann::json const& e, char const* key) {
        auto field = e.find(key);
        return field != e.end() && field->is_string() ? field->get<std::string>() : std::string();
    };
    for (auto const& e : *list) {
        if (e.is_object()) {
            RegistryError error{text(e, "code"), text(e, "message")};
            if (!error.code.empty() || !error.message.empty()) {
                errors.push_back(std::move(error));
            }
        }
    }
    return errors;
}

std::string status_line(long status) {
    auto text = std::to_string(status);
    if (auto r = reason(status)) {
        text += " ";
        text += r;
    }
    return text;
}

std::string describe_response(HttpResponse const& response) {
    std::string text = status_line(response.status);
    auto errors = parse_error_body(response.body);
    for (std::size_t i = 0; i < errors.size(); ++i) {
        text += i == 0 ? ": " : "; ";
        text += errors[i].message.empty() ? errors[i].code
                                          : errors[i].message + " (" + errors[i].code + ")";
    }
    if (errors.empty()) {
        std::string_view body = response.body;
        while (!body.empty() &&
               (body.back() == '\n' || body.back() == '\r' || body.back() == ' ')) {
            body.remove_suffix(1);
        }
        if (!body.empty() && body.size() <= max_quoted_body && printable(body) &&
            !body.starts_with("<")) {
            text += ": " + std::string(body);
        }
    }
    return text;
}

bool has_error_code(HttpResponse const& response, std::string_view code) {
    for (auto const& e : parse_error_body(response.body)) {
        if (e.code == code) {
            return true;
        }
    }
    return false;
}

} // namespace microvm::image::registry
