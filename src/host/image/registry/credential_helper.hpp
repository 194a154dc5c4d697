// Docker credential helpers (the docker-credential-helpers protocol, as docker and podman run
// them): the program `docker-credential-<name>` is run with the argument "get", reads the
// registry's server URL on its standard input, and answers on its standard output with
//   {"ServerURL": "...", "Username": "...", "Secret": "..."}
// or, when it holds nothing for that server, exits non-zero after printing
// "credentials not found in native keychain".
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "host/image/registry/auth_file.hpp"

namespace microvm::image::registry {

// "docker-credential-<name>".
std::string credential_helper_program(std::string_view name);

// A helper that has given no answer after this long is killed: a helper waiting for a
// keychain to be unlocked would otherwise stall the pull without a word.
inline constexpr std::chrono::seconds credential_helper_timeout{60};

// Runs helper `name` ("desktop", "pass", "ecr-login"), found in the absolute directories of
// `path_env` ($PATH syntax; relative and empty entries are skipped, so the helper never comes
// from the working directory), with `server_url` on its standard input. Returns nullopt when
// the helper has no credentials for the server. Fails, with a message naming the program, when
// it is not found, is killed by `timeout`, exits non-zero for another reason (its message is
// quoted), or answers something other than the JSON above. An answer whose Username is
// "<token>" carries an identity token (an OAuth2 refresh token), which is reported as not
// supported rather than sent as a password.
// FIXME: identity tokens (the OAuth2 refresh-token grant at the token realm) are not supported.
Result<std::optional<Credentials>>
get_from_credential_helper(std::string_view name, std::string const& server_url,
                           std::optional<std::string> const& path_env,
                           std::chrono::milliseconds timeout = credential_helper_timeout);

} // namespace microvm::image::registry
