// A real OCI registry for tests: docker-registry serving a temporary directory on a free
// 127.0.0.1 port, killed when the fixture goes away.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "base/child.hpp"
#include "base/error.hpp"
#include "base/temp_dir.hpp"

namespace microvm::test {

struct RegistryUser {
    std::string name;
    std::string password;
};

// A token service the registry trusts (docker-registry's "auth: token").
struct TokenAuthority {
    std::string realm;   // URL clients fetch tokens from
    std::string service; // the registry's name in the tokens' audience
    std::string issuer;
    std::filesystem::path root_certificate; // PEM; tokens carry it in their x5c header
};

struct RegistryOptions {
    // The registry requires basic auth (htpasswd, bcrypt) for this user.
    std::optional<RegistryUser> user = std::nullopt;
    // The registry requires bearer tokens from this authority.
    std::optional<TokenAuthority> token = std::nullopt;
};

class LocalRegistry {
public:
    // Starts /usr/bin/docker-registry with a temporary config and storage and waits until
    // GET /v2/ answers.
    static Result<LocalRegistry> start(RegistryOptions const& options = {});

    // "127.0.0.1:PORT".
    std::string const& address() const { return m_address; }
    // The registry's data file of blob `hex` (a sha256 digest without "sha256:").
    std::filesystem::path blob_data(std::string const& hex) const;
    std::filesystem::path const& dir() const { return m_dir.path(); }

    // Adopts a started registry; start() is the way to make one.
    LocalRegistry(base::TempDir dir, std::string address, base::Child child)
        : m_dir(std::move(dir)), m_address(std::move(address)), m_child(std::move(child)) {}

private:
    base::TempDir m_dir;
    std::string m_address;
    base::Child m_child; // killed and reaped when destroyed
};

} // namespace microvm::test
