// Content digests ("sha256:<64 hex>") and the SHA-256 hasher that checks blobs as they arrive.
#pragma once

#include <openssl/types.h>

#include <string>
#include <string_view>

#include "base/error.hpp"

namespace microvm::image {

// A validated content digest. Only sha256 is accepted: it is what OCI registries serve, and a
// digest we cannot verify must not be trusted (fail closed).
struct Digest {
    std::string hex; // 64 lowercase hex characters

    // Parses "sha256:<64 lowercase hex>". Fails on another algorithm or a malformed encoding;
    // the message quotes the input.
    static Result<Digest> parse(std::string_view text);
    // The digest of `bytes`.
    static Digest of(std::string_view bytes);

    std::string text() const { return "sha256:" + hex; }
    bool operator==(Digest const&) const = default;
};

// Incremental SHA-256 on OpenSSL EVP. Move-only; the EVP context is freed with it.
class Sha256 {
public:
    Sha256();
    Sha256(Sha256&& other) noexcept;
    Sha256& operator=(Sha256&& other) noexcept;
    Sha256(Sha256 const&) = delete;
    Sha256& operator=(Sha256 const&) = delete;
    ~Sha256();

    void update(std::string_view bytes);
    // The digest of everything passed to update() since construction or the last reset().
    // The hasher must be reset() before it is used again.
    Digest finish();
    void reset();

private:
    EVP_MD_CTX* m_ctx = nullptr;
};

} // namespace microvm::image
