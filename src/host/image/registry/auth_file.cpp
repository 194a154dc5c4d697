#include "host/image/registry/auth_file.hpp"

#include <fcntl.h>
#include <openssl/evp.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "base/fd.hpp"
#include "base/sys.hpp"
#include "host/image/registry/credential_helper.hpp"

namespace microvm::image::registry {

namespace {

using nlohmann::json;

// Auth files hold a handful of entries; anything this large is not one.
constexpr std::size_t max_auth_file_bytes = 1 << 20;

std::optional<std::string> env_value(char const* name) {
    char const* value = std::getenv(name);
    if (value == nullptr) {
        return std::nullopt;
    }
    return std::string(value);
}

bool set(std::optional<std::string> const& value) {
    return value && !value->empty();
}

bool is_docker_hub(std::string_view host) {
    return host == "docker.io" || host == "index.docker.io" || host == "registry-1.docker.io";
}

// "https://index.docker.io/v1/" -> "index.docker.io"; "quay.io/org" -> "quay.io/org".
std::string normalise_key(std::string_view key) {
    for (std::string_view scheme : {"https://", "http://"}) {
        if (key.starts_with(scheme)) {
            key.remove_prefix(scheme.size());
            // With a scheme, what follows the host is an API path, not a namespace.
            key = key.substr(0, key.find('/'));
        }
    }
    while (key.ends_with('/')) {
        key.remove_suffix(1);
    }
    auto slash = key.find('/');
    auto host = key.substr(0, slash);
    std::string rest = slash == std::string_view::npos ? "" : std::string(key.substr(slash));
    return (is_docker_hub(host) ? std::string("docker.io") : std::string(host)) + rest;
}

Result<Credentials> decode_entry(json const& entry, std::string const& key) {
    auto auth = entry.find("auth");
    if (auth == entry.end() || !auth->is_string()) {
        return fail("entry \"" + key + "\" has no \"auth\" field");
    }
    auto decoded = TRY_CTX(base64_decode(auth->get<std::string>()), "entry \"" + key + "\"");
    auto colon = decoded.find(':');
    if (colon == std::string::npos) {
        return fail("entry \"" + key + "\": \"auth\" is not base64 of user:password");
    }
    return Credentials{decoded.substr(0, colon), decoded.substr(colon + 1)};
}

Result<std::string> helper_name(json const& value, std::string const& setting) {
    if (!value.is_string() || value.get<std::string>().empty()) {
        return fail(setting + " is not a credential helper name");
    }
    return value.get<std::string>();
}

// credHelpers[registry], else credsStore: the helper docker would ask for `registry`.
Result<std::optional<HelperReference>> configured_helper(json const& doc,
                                                         std::string_view registry) {
    auto const wanted = normalise_key(registry);
    if (auto helpers = doc.find("credHelpers"); helpers != doc.end() && helpers->is_object()) {
        for (auto const& [key, value] : helpers->items()) {
            if (normalise_key(key) == wanted) {
                return HelperReference{TRY(helper_name(value, "credHelpers[\"" + key + "\"]")),
                                       "credHelpers"};
            }
        }
    }
    // An empty credsStore means none, as in docker.
    if (auto store = doc.find("credsStore");
        store != doc.end() && !(store->is_string() && store->get<std::string>().empty())) {
        return HelperReference{TRY(helper_name(*store, "credsStore")), "credsStore"};
    }
    return std::nullopt;
}

Result<std::optional<Credentials>>
credentials_from_auths(json const& doc, std::string_view registry, std::string_view repository) {
    auto auths = doc.find("auths");
    if (auths == doc.end() || !auths->is_object()) {
        return std::nullopt;
    }
    // The most specific name first: registry/a/b/c, registry/a/b, registry/a, registry.
    std::string wanted = normalise_key(std::string(registry) + "/" + std::string(repository));
    while (true) {
        for (auto const& [key, entry] : auths->items()) {
            if (normalise_key(key) == wanted && entry.is_object()) {
                return TRY(decode_entry(entry, key));
            }
        }
        auto slash = wanted.rfind('/');
        if (slash == std::string::npos) {
            return std::nullopt;
        }
        wanted.resize(slash);
    }
}

} // namespace

AuthFileEnvironment AuthFileEnvironment::from_process() {
    return {env_value("REGISTRY_AUTH_FILE"), env_value("XDG_RUNTIME_DIR"), env_value("HOME"),
            env_value("PATH")};
}

std::vector<std::filesystem::path> auth_file_candidates(AuthFileEnvironment const& env) {
    std::vector<std::filesystem::path> files;
    if (set(env.registry_auth_file)) {
        files.emplace_back(*env.registry_auth_file);
    }
    if (set(env.xdg_runtime_dir)) {
        files.push_back(std::filesystem::path(*env.xdg_runtime_dir) / "containers" / "auth.json");
    }
    if (set(env.home)) {
        files.push_back(std::filesystem::path(*env.home) / ".docker" / "config.json");
    }
    return files;
}

Result<AuthEntry> auth_entry_from_json(std::string_view auth_json, std::string_view registry,
                                       std::string_view repository) {
    auto doc = json::parse(auth_json, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object()) {
        return fail("not a JSON object");
    }
    if (auto helper = TRY(configured_helper(doc, registry))) {
        return std::move(*helper);
    }
    if (auto credentials = TRY(credentials_from_auths(doc, registry, repository))) {
        return std::move(*credentials);
    }
    return std::monostate{};
}

Result<std::optional<Credentials>> find_credentials(std::string_view registry,
                                                    std::string_view repository,
                                                    AuthFileEnvironment const& env) {
    for (auto const& path : auth_file_candidates(env)) {
        base::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd) {
            if (errno == ENOENT || errno == ENOTDIR) {
                continue;
            }
            return fail_errno("open auth file " + path.string());
        }
        auto text = TRY_CTX(base::sys::read_all(fd.get(), max_auth_file_bytes, path.string()),
                            "read auth file");
        auto const entry =
            TRY_CTX(auth_entry_from_json(text, registry, repository), "auth file " + path.string());
        if (auto const* credentials = std::get_if<Credentials>(&entry)) {
            return *credentials;
        }
        if (auto const* helper = std::get_if<HelperReference>(&entry)) {
            auto found =
                TRY_CTX(get_from_credential_helper(
                            helper->name, credential_helper_server_url(registry), env.path),
                        "auth file " + path.string() + ": " + helper->setting + " helper \"" +
                            helper->name + "\" for " + std::string(registry));
            if (found) {
                return found;
            }
        }
    }
    return std::nullopt;
}

std::string credential_helper_server_url(std::string_view registry) {
    return is_docker_hub(registry) ? "https://index.docker.io/v1/" : std::string(registry);
}

std::string base64_encode(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3), '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<unsigned char const*>(bytes.data()),
                            static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

Result<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) {
        return fail("invalid base64: length is not a multiple of 4");
    }
    std::string out(3 * (text.size() / 4), '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<unsigned char const*>(text.data()),
                            static_cast<int>(text.size()));
    if (n < 0) {
        return fail("invalid base64");
    }
    // EVP_DecodeBlock counts the padding as zero bytes.
    std::size_t length = static_cast<std::size_t>(n);
    for (std::size_t i = text.size(); i > 0 && text[i - 1] == '=' && length > 0; --i) {
        --length;
    }
    out.resize(length);
    return out;
}

} // namespace microvm::image::registry
