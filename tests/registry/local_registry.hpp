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

class LocalRegistry {
public:
    // Starts /usr/bin/docker-registry with a temporary config and storage and waits until
    // GET /v2/ answers. With `user`, the registry requires basic auth (htpasswd, bcrypt).
    static Result<LocalRegistry> start(std::optional<RegistryUser> user = std::nullopt);

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
