// Registry credentials from the files podman, skopeo and docker write:
//   $REGISTRY_AUTH_FILE, ${XDG_RUNTIME_DIR}/containers/auth.json, ~/.docker/config.json
// Each holds {"auths": {"<registry>[/<namespace>]": {"auth": base64("user:password")}}}.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace microvm::image::registry {

struct Credentials {
    std::string username;
    std::string password;
    bool operator==(Credentials const&) const = default;
};

// The environment variables that locate auth files; nullopt means unset.
struct AuthFileEnvironment {
    std::optional<std::string> registry_auth_file = std::nullopt; // $REGISTRY_AUTH_FILE
    std::optional<std::string> xdg_runtime_dir = std::nullopt;    // $XDG_RUNTIME_DIR
    std::optional<std::string> home = std::nullopt;               // $HOME

    static AuthFileEnvironment from_process();
};

// The files to consult, most specific first (empty variables count as unset).
std::vector<std::filesystem::path> auth_file_candidates(AuthFileEnvironment const& env);

// The credentials `auth_json` holds for `repository` on `registry`. The most specific key
// wins: "registry/repository", then each shorter namespace, then "registry". Keys may carry a
// scheme and a path ("https://index.docker.io/v1/"), and Docker Hub's aliases (docker.io,
// index.docker.io, registry-1.docker.io) are equal. Fails when the JSON does not parse or
// the entry's "auth" is not base64 of "user:password".
// FIXME: credential helpers (credsStore, credHelpers) and identity tokens are not supported.
Result<std::optional<Credentials>> credentials_from_auth_json(std::string_view auth_json,
                                                              std::string_view registry,
                                                              std::string_view repository);

// Looks `registry`/`repository` up in each candidate file in turn; the first file that has an
// entry wins. Missing files are skipped; one that cannot be read or parsed is an error that
// names it (a broken auth file should not silently turn a pull anonymous).
Result<std::optional<Credentials>> find_credentials(std::string_view registry,
                                                    std::string_view repository,
                                                    AuthFileEnvironment const& env);

// Base64 (RFC 4648, with padding) encoding and decoding, for Basic authentication.
std::string base64_encode(std::string_view bytes);
Result<std::string> base64_decode(std::string_view text);

} // namespace microvm::image::registry
