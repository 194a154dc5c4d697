#include "host/image/store/digest.hpp"

#include <openssl/evp.h>

#include <cstdlib>
#include <utility>

namespace microvm::image {

namespace {

constexpr std::string_view sha256_prefix = "sha256:";
constexpr std::size_t sha256_hex_length = 64;

bool is_lower_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

std::string to_hex(unsigned char const* bytes, unsigned length) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(length * 2);
    for (unsigned i = 0; i < length; ++i) {
        out.push_back(digits[bytes[i] >> 4]);
        out.push_back(digits[bytes[i] & 0xf]);
    }
    return out;
}

} // namespace

Result<Digest> Digest::parse(std::string_view text) {
    if (!text.starts_with(sha256_prefix)) {
        auto colon = text.find(':');
        if (colon == std::string_view::npos) {
            return fail("invalid digest \"" + std::string(text) + "\": no algorithm");
        }
        return fail("unsupported digest algorithm \"" + std::string(text.substr(0, colon)) +
                    "\" in \"" + std::string(text) + "\" (only sha256 is verified)");
    }
    auto hex = text.substr(sha256_prefix.size());
    if (hex.size() != sha256_hex_length) {
        return fail("invalid digest \"" + std::string(text) + "\": expected 64 hex characters");
    }
    for (char c : hex) {
        if (!is_lower_hex(c)) {
            return fail("invalid digest \"" + std::string(text) + "\": not lowercase hexadecimal");
        }
    }
    return Digest{std::string(hex)};
}

Digest Digest::of(std::string_view bytes) {
    Sha256 hasher;
    hasher.update(bytes);
    return hasher.finish();
}

Sha256::Sha256() {
    reset();
}

Sha256::Sha256(Sha256&& other) noexcept : m_ctx(std::exchange(other.m_ctx, nullptr)) {}

Sha256& Sha256::operator=(Sha256&& other) noexcept {
    if (this != &other) {
        EVP_MD_CTX_free(m_ctx);
        m_ctx = std::exchange(other.m_ctx, nullptr);
    }
    return *this;
}

Sha256::~Sha256() {
    EVP_MD_CTX_free(m_ctx);
}

// EVP failures here mean the process is out of memory or OpenSSL is broken; a digest that
// silently came out wrong would be worse than stopping.
void Sha256::reset() {
    if (m_ctx == nullptr) {
        m_ctx = EVP_MD_CTX_new();
    }
    if (m_ctx == nullptr || EVP_DigestInit_ex(m_ctx, EVP_sha256(), nullptr) != 1) {
        std::abort();
    }
}

void Sha256::update(std::string_view bytes) {
    if (EVP_DigestUpdate(m_ctx, bytes.data(), bytes.size()) != 1) {
        std::abort();
    }
}

Digest Sha256::finish() {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned length = 0;
    if (EVP_DigestFinal_ex(m_ctx, out, &length) != 1) {
        std::abort();
    }
    return Digest{to_hex(out, length)};
}

} // namespace microvm::image
