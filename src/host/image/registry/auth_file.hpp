// Registry credentials from the files podman, skopeo and docker write:
//   $REGISTRY_AUTH_FILE, ${XDG_RUNTIME_DIR}/containers/auth.json, ~/.docker/config.json
// Each holds {"auths": {"<registry>[/<namespace>]": {"auth": base64("user:password")}}} and
// may name docker credential helpers (credential_helper.hpp) that keep the secrets instead:
//   "credHelpers": {"<registry>": "<name>"}   one registry's helper
//   "credsStore": "<name>"                    the helper for every other registry
// Precedence within a file is docker's: credHelpers for the registry, else credsStore, else
// "auths". A file whose helper answers for the registry decides it, as "auths" would; once a
// helper is configured for a registry, that file's "auths" entry for it is not read (docker
// keeps only the user name there, never the secret).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
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
    // Where credential helpers (docker-credential-NAME) are looked for.
    std::optional<std::string> path = std::nullopt; // $PATH

    static AuthFileEnvironment from_process();
};

// The files to consult, most specific first (empty variables count as unset).
std::vector<std::filesystem::path> auth_file_candidates(AuthFileEnvironment const& env);

// A credential helper an auth file names for a registry.
struct HelperReference {
    std::string name;    // "desktop" runs docker-credential-desktop
    std::string setting; // where the file names it: "credHelpers" or "credsStore"
    bool operator==(HelperReference const&) const = default;
};

// What one auth file says about a registry: nothing, credentials, or the helper to ask.
using AuthEntry = std::variant<std::monostate, Credentials, HelperReference>;

// What `auth_json` says about `repository` on `registry`, with docker's precedence (above).
// In "auths" the most specific key wins: "registry/repository", then each shorter namespace,
// then "registry"; keys may carry a scheme and a path ("https://index.docker.io/v1/"), and
// Docker Hub's aliases (docker.io, index.docker.io, registry-1.docker.io) are equal. credHelpers
// keys are registries only, as in docker and podman. Fails when the JSON does not parse, the
// entry's "auth" is not base64 of "user:password", or a helper setting is not a name.
Result<AuthEntry> auth_entry_from_json(std::string_view auth_json, std::string_view registry,
                                       std::string_view repository);

// Looks `registry`/`repository` up in each candidate file in turn; the first file that has an
// entry wins, a helper's answer counting as its entry (a helper that holds nothing for the
// registry passes to the next file). Missing files are skipped; one that cannot be read or
// parsed is an error that names it, and so is a helper that is not installed or fails: a broken
// auth setup should not silently turn a pull anonymous (docker fails the same way).
Result<std::optional<Credentials>> find_credentials(std::string_view registry,
                                                    std::string_view repository,
                                                    AuthFileEnvironment const& env);

// The server URL docker hands a credential helper for `registry` ("docker.io", "quay.io",
// "127.0.0.1:5000"): Docker Hub's is the legacy "https://index.docker.io/v1/" that `docker
// login` stores it under; every other registry's is its host[:port].
std::string credential_helper_server_url(std::string_view registry);

// Base64 (RFC 4648, with padding) encoding and decoding, for Basic authentication.
std::string base64_encode(std::string_view bytes);
Result<std::string> base64_decode(std::string_view text);

} // namespace microvm::image::registry
