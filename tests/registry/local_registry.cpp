#include "local_registry.hpp"

#include <arpa/inet.h>
#include <crypt.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "base/command.hpp"
#include "host/image/registry/http.hpp"
#include "support/test_support.hpp"

namespace microvm::test {

namespace {

constexpr char registry_binary[] = "/usr/bin/docker-registry";
// How long the registry may take to answer its first request; it starts in well under a
// second, this only bounds a broken start.
constexpr auto ready_deadline = std::chrono::seconds(30);

// The kernel picks a free port; the socket is closed before the registry binds it, which
// leaves a small window in which another process could take it (the start is retried).
Result<int> free_port() {
    base::Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) {
        return fail_errno("socket");
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        return fail_errno("bind 127.0.0.1:0");
    }
    socklen_t len = sizeof addr;
    if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        return fail_errno("getsockname");
    }
    return ntohs(addr.sin_port);
}

Result<std::string> bcrypt(std::string const& password) {
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    if (::crypt_gensalt_rn("$2b$", 0, nullptr, 0, salt, sizeof salt) == nullptr) {
        return fail_errno("crypt_gensalt");
    }
    crypt_data data{};
    char const* hash = ::crypt_r(password.c_str(), salt, &data);
    if (hash == nullptr || hash[0] == '*') {
        return fail("crypt_r with bcrypt failed");
    }
    return std::string(hash);
}

Result<void> wait_until_ready(std::string const& address, base::Child& child) {
    auto http = TRY(image::registry::HttpClient::create());
    auto const deadline = std::chrono::steady_clock::now() + ready_deadline;
    while (std::chrono::steady_clock::now() < deadline) {
        auto response = http.perform({.url = "http://" + address + "/v2/",
                                      .scheme = image::registry::Scheme::http_allowed,
                                      .total_timeout_s = 5});
        if (response && (response->status == 200 || response->status == 401)) {
            return {};
        }
        if (auto exited = TRY(child.try_wait())) {
            return fail("docker-registry exited: " + exited->describe());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return fail("docker-registry did not answer on " + address);
}

Result<LocalRegistry> start_once(RegistryOptions const& options) {
    auto const& user = options.user;
    auto dir = TRY(base::TempDir::create("microvm-registry-"));
    int const port = TRY(free_port());
    std::string const address = "127.0.0.1:" + std::to_string(port);
    std::string config = "version: 0.1\n"
                         "log: {level: error, accesslog: {disabled: true}}\n"
                         "storage: {filesystem: {rootdirectory: " +
                         (dir.path() / "data").string() + "}, delete: {enabled: true}}\n" +
                         "http: {addr: " + address + "}\n";
    if (user) {
        write_file(dir.path() / "htpasswd", user->name + ":" + TRY(bcrypt(user->password)) + "\n");
        config +=
            "auth: {htpasswd: {realm: microvm-test, path: " + (dir.path() / "htpasswd").string() +
            "}}\n";
    }
    if (auto const& token = options.token) {
        config += "auth: {token: {realm: \"" + token->realm + "\", service: " + token->service +
                  ", issuer: " + token->issuer +
                  ", rootcertbundle: " + token->root_certificate.string() + "}}\n";
    }
    write_file(dir.path() / "config.yml", config);
    base::Fd log(::open((dir.path() / "registry.log").c_str(),
                        O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    auto child =
        TRY(base::spawn({.path = registry_binary,
                         .argv = {registry_binary, "serve", (dir.path() / "config.yml").string()},
                         .fds = {{log.get(), 1}, {log.get(), 2}}}));
    if (auto ready = wait_until_ready(address, child); !ready) {
        return std::unexpected(
            std::move(ready.error()).context("log: " + read_file(dir.path() / "registry.log")));
    }
    return LocalRegistry(std::move(dir), address, std::move(child));
}

} // namespace

Result<LocalRegistry> LocalRegistry::start(RegistryOptions const& options) {
    // A second and third try cover the port being taken between free_port() and bind.
    auto registry = start_once(options);
    for (int attempt = 1; !registry && attempt < 3; ++attempt) {
        registry = start_once(options);
    }
    return registry;
}

std::filesystem::path LocalRegistry::blob_data(std::string const& hex) const {
    return m_dir.path() / "data" / "docker" / "registry" / "v2" / "blobs" / "sha256" /
           hex.substr(0, 2) / hex / "data";
}

} // namespace microvm::test
