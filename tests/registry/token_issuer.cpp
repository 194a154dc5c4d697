#include "token_issuer.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <ctime>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "host/image/registry/auth_file.hpp"
#include "support/test_support.hpp"

namespace microvm::test {

namespace {

constexpr char service[] = "microvm-test-registry";
constexpr char issuer[] = "microvm-test-issuer";

std::string base64url(std::string_view bytes) {
    auto text = image::registry::base64_encode(bytes);
    for (char& c : text) {
        c = c == '+' ? '-' : c == '/' ? '_' : c;
    }
    while (!text.empty() && text.back() == '=') {
        text.pop_back();
    }
    return text;
}

std::string query_value(std::string const& target, std::string const& name) {
    auto q = target.find('?');
    if (q == std::string::npos) {
        return {};
    }
    std::string const query = target.substr(q + 1);
    std::size_t pos = 0;
    while (pos <= query.size()) {
        auto end = query.find('&', pos);
        auto pair = query.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
        if (pair.starts_with(name + "=")) {
            std::string value;
            for (std::size_t i = name.size() + 1; i < pair.size(); ++i) {
                if (pair[i] == '%' && i + 2 < pair.size()) {
                    value.push_back(
                        static_cast<char>(std::stoi(pair.substr(i + 1, 2), nullptr, 16)));
                    i += 2;
                } else {
                    value.push_back(pair[i] == '+' ? ' ' : pair[i]);
                }
            }
            return value;
        }
        if (end == std::string::npos) {
            break;
        }
        pos = end + 1;
    }
    return {};
}

std::string sign_rs256(std::filesystem::path const& key_path, std::string const& input) {
    FILE* f = std::fopen(key_path.c_str(), "r");
    if (f == nullptr) {
        throw std::runtime_error("open " + key_path.string());
    }
    EVP_PKEY* key = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
    std::fclose(f);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    std::size_t length = 0;
    std::string signature;
    bool ok =
        key != nullptr && ctx != nullptr &&
        EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
        EVP_DigestSign(ctx, nullptr, &length, reinterpret_cast<unsigned char const*>(input.data()),
                       input.size()) == 1;
    if (ok) {
        signature.resize(length);
        ok =
            EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &length,
                           reinterpret_cast<unsigned char const*>(input.data()), input.size()) == 1;
        signature.resize(length);
    }
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    if (!ok) {
        throw std::runtime_error("RS256 signing failed");
    }
    return signature;
}

std::string certificate_der(std::filesystem::path const& cert_path) {
    FILE* f = std::fopen(cert_path.c_str(), "r");
    if (f == nullptr) {
        throw std::runtime_error("open " + cert_path.string());
    }
    X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
    std::fclose(f);
    unsigned char* der = nullptr;
    int length = cert != nullptr ? i2d_X509(cert, &der) : -1;
    X509_free(cert);
    if (length <= 0) {
        throw std::runtime_error("cannot encode " + cert_path.string());
    }
    std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(length));
    OPENSSL_free(der);
    return out;
}

} // namespace

TokenIssuer::TokenIssuer(std::filesystem::path const& dir)
    : m_key(dir / "token-key.pem"), m_cert(dir / "token-cert.pem") {
    auto made = run_process({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                             "-keyout", m_key.string(), "-out", m_cert.string(), "-subj",
                             "/CN=microvm-test-token", "-days", "2"});
    if (made.exit_code != 0) {
        throw std::runtime_error("openssl req failed: " + made.err);
    }
    m_cert_der_base64 = image::registry::base64_encode(certificate_der(m_cert));
    m_server = std::make_unique<FakeHttpServer>(
        [this](FakeRequest const& request) { return issue(request); });
}

TokenAuthority TokenIssuer::authority() const {
    return {"http://" + m_server->address() + "/token", service, issuer, m_cert};
}

FakeResponse TokenIssuer::issue(FakeRequest const& request) const {
    using nlohmann::json;
    json access = json::array();
    // "repository:test/app:pull,push" -> one access entry.
    auto scope = query_value(request.target, "scope");
    if (auto first = scope.find(':'), last = scope.rfind(':');
        first != std::string::npos && last != first) {
        access.push_back({{"type", scope.substr(0, first)},
                          {"name", scope.substr(first + 1, last - first - 1)},
                          {"actions", json::array({"pull", "push"})}});
    }
    auto const now = static_cast<long>(std::time(nullptr));
    json header{{"alg", "RS256"}, {"typ", "JWT"}, {"x5c", json::array({m_cert_der_base64})}};
    json claims{{"iss", issuer},
                {"sub", "anonymous"},
                {"aud", service},
                {"exp", now + 3600},
                {"nbf", now - 60},
                {"iat", now - 60},
                {"jti", std::to_string(now)},
                {"access", access}};
    auto const input = base64url(header.dump()) + "." + base64url(claims.dump());
    auto const token = input + "." + base64url(sign_rs256(m_key, input));
    return {200, {{"Content-Type", "application/json"}}, json{{"token", token}}.dump()};
}

} // namespace microvm::test
