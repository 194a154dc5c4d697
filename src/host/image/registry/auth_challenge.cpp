#include "host/image/registry/auth_challenge.hpp"

#include <cctype>
#include <nlohmann/json.hpp>

namespace microvm::image::registry {

namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

void skip_spaces(std::string_view& s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
}

// Reads a quoted-string starting at the opening quote, unescaping "\x".
Result<std::string> read_quoted(std::string_view& s) {
    s.remove_prefix(1);
    std::string value;
    while (!s.empty()) {
        char c = s.front();
        s.remove_prefix(1);
        if (c == '"') {
            return value;
        }
        if (c == '\\' && !s.empty()) {
            c = s.front();
            s.remove_prefix(1);
        }
        value.push_back(c);
    }
    return fail("unterminated quoted string");
}

} // namespace

std::optional<std::string> AuthChallenge::param(std::string const& name) const {
    auto it = params.find(name);
    if (it == params.end()) {
        return std::nullopt;
    }
    return it->second;
}

Result<AuthChallenge> parse_auth_challenge(std::string_view header) {
    auto const quoted = "\"" + std::string(header) + "\"";
    std::string_view s = header;
    skip_spaces(s);
    auto space = s.find_first_of(" \t");
    auto scheme = lower(s.substr(0, space));
    AuthChallenge challenge;
    if (scheme == "basic") {
        challenge.scheme = AuthChallenge::Scheme::basic;
    } else if (scheme == "bearer") {
        challenge.scheme = AuthChallenge::Scheme::bearer;
    } else {
        return fail("unsupported authentication scheme in WWW-Authenticate " + quoted);
    }
    s = space == std::string_view::npos ? std::string_view() : s.substr(space);
    while (true) {
        skip_spaces(s);
        while (!s.empty() && s.front() == ',') {
            s.remove_prefix(1);
            skip_spaces(s);
        }
        if (s.empty()) {
            break;
        }
        auto eq = s.find('=');
        if (eq == std::string_view::npos) {
            return fail("malformed WWW-Authenticate " + quoted + ": parameter without value");
        }
        auto name = s.substr(0, eq);
        while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) {
            name.remove_suffix(1);
        }
        s.remove_prefix(eq + 1);
        skip_spaces(s);
        std::string value;
        if (!s.empty() && s.front() == '"') {
            value = TRY_CTX(read_quoted(s), "malformed WWW-Authenticate " + quoted);
        } else {
            auto end = s.find(',');
            value = std::string(s.substr(0, end));
            while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
                value.pop_back();
            }
            s = end == std::string_view::npos ? std::string_view() : s.substr(end);
        }
        challenge.params[lower(name)] = std::move(value);
    }
    if (challenge.scheme == AuthChallenge::Scheme::bearer && !challenge.params.contains("realm")) {
        return fail("malformed WWW-Authenticate " + quoted + ": Bearer challenge has no realm");
    }
    return challenge;
}

std::string token_from_response(std::string_view body) {
    auto const doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object()) {
        return {};
    }
    for (char const* key : {"token", "access_token"}) {
        // Not json::value(key, ""), which throws when the value is not a string.
        if (auto field = doc.find(key); field != doc.end() && field->is_string()) {
            if (auto token = field->get<std::string>(); !token.empty()) {
                return token;
            }
        }
    }
    return {};
}

} // namespace microvm::image::registry
