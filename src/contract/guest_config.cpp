#include "contract/guest_config.hpp"

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>

#include "contract/json_fields.hpp"
#include "contract/network.hpp"
#include "contract/share_rules.hpp"

namespace microvm::contract {

namespace {

using nlohmann::json;

// sethostname(2) refuses more than HOST_NAME_MAX (64) bytes; refusing here names the field.
constexpr std::size_t max_hostname_length = 64;

Result<void> read_optional_u32(json const& object, char const* key, std::string const& field,
                               std::optional<std::uint32_t>& out) {
    if (!object.contains(key)) {
        return {};
    }
    std::uint32_t value = 0;
    TRY(read_unsigned(object, key, field, value));
    out = value;
    return {};
}

// "uid" or "uid:gid", both decimal; the guest has no user database to resolve names with.
bool is_numeric_user(std::string_view user) {
    auto is_number = [](std::string_view s) {
        if (s.empty() || s.size() > 10) {
            return false;
        }
        std::uint64_t value = 0;
        for (char c : s) {
            if (c < '0' || c > '9') {
                return false;
            }
            value = value * 10 + static_cast<std::uint64_t>(c - '0');
        }
        return value <= std::numeric_limits<std::uint32_t>::max();
    };
    auto colon = user.find(':');
    if (colon == std::string_view::npos) {
        return is_number(user);
    }
    return is_number(user.substr(0, colon)) && is_number(user.substr(colon + 1));
}

Result<std::vector<GuestMount>> read_mounts(json const& object) {
    std::vector<GuestMount> mounts;
    json const* list = TRY(read_array(object, "virtiofs_mounts", "virtiofs_mounts"));
    if (list == nullptr) {
        return mounts;
    }
    std::set<std::string> tags;
    std::set<std::string> paths;
    for (std::size_t i = 0; i < list->size(); ++i) {
        std::string const field = "virtiofs_mounts[" + std::to_string(i) + "]";
        json const& entry = (*list)[i];
        TRY(expect_object(entry, field));
        GuestMount mount;
        if (!entry.contains("tag")) {
            return fail(field + ".tag: is required");
        }
        TRY(read_string(entry, "tag", field + ".tag", mount.tag));
        TRY_CTX(validate_tag(mount.tag), field + ".tag");
        if (!tags.insert(mount.tag).second) {
            return fail(field + ".tag: \"" + mount.tag + "\" is listed twice");
        }
        if (entry.contains("guest_path")) {
            TRY(read_string(entry, "guest_path", field + ".guest_path", mount.guest_path));
            TRY_CTX(validate_guest_path(mount.guest_path), field + ".guest_path");
        } else {
            mount.guest_path = default_guest_path(mount.tag);
            TRY_CTX(validate_guest_path(mount.guest_path),
                    field + ".guest_path (absent, so " + mount.guest_path + ")");
        }
        if (!paths.insert(mount.guest_path).second) {
            return fail(field + ".guest_path: \"" + mount.guest_path + "\" is listed twice");
        }
        TRY(read_bool(entry, "read_only", field + ".read_only", mount.read_only));
        TRY(read_bool(entry, "allow_setuid", field + ".allow_setuid", mount.allow_setuid));
        TRY(read_bool(entry, "allow_devices", field + ".allow_devices", mount.allow_devices));
        mounts.push_back(std::move(mount));
    }
    return mounts;
}

// More name servers than resolv.conf's MAXNS (3) would be ignored by every resolver.
constexpr std::size_t max_dns_servers = 3;

Result<std::optional<GuestNetwork>> read_network(json const& doc) {
    json const* object = TRY(read_object(doc, "network", "network"));
    if (object == nullptr) {
        return std::nullopt;
    }
    GuestNetwork network;
    if (!object->contains("address")) {
        return fail("network.address: is required");
    }
    TRY(read_string(*object, "address", "network.address", network.address));
    TRY_CTX(parse_ipv4_cidr(network.address), "network.address");
    TRY(read_string(*object, "gateway", "network.gateway", network.gateway));
    if (!network.gateway.empty()) {
        TRY_CTX(parse_ipv4(network.gateway), "network.gateway");
    }
    TRY(read_strings(*object, "dns", "network.dns", network.dns));
    if (network.dns.size() > max_dns_servers) {
        return fail("network.dns: more than " + std::to_string(max_dns_servers) + " servers");
    }
    for (std::size_t i = 0; i < network.dns.size(); ++i) {
        if (!is_ip_address(network.dns[i])) {
            return fail("network.dns[" + std::to_string(i) + "]: \"" + network.dns[i] +
                        "\" is not an IP address");
        }
    }
    return network;
}

Result<GuestConfig> read_config(json const& doc) {
    if (!doc.is_object()) {
        return fail("expected a JSON object");
    }
    GuestConfig config;
    TRY(read_unsigned(doc, "tmp_size_mib", "tmp_size_mib", config.tmp_size_mib));
    config.virtiofs_mounts = TRY(read_mounts(doc));
    TRY(read_strings(doc, "argv", "argv", config.argv));
    TRY(read_strings(doc, "env", "env", config.env));
    for (std::size_t i = 0; i < config.env.size(); ++i) {
        auto equals = config.env[i].find('=');
        if (equals == std::string::npos || equals == 0) {
            return fail("env[" + std::to_string(i) + "]: \"" + config.env[i] +
                        "\" is not KEY=VALUE");
        }
    }
    TRY(read_string(doc, "cwd", "cwd", config.cwd));
    if (config.cwd.empty() || config.cwd.front() != '/') {
        return fail("cwd: \"" + config.cwd + "\" is not an absolute path");
    }
    TRY(read_string(doc, "user", "user", config.user));
    if (!config.user.empty() && !is_numeric_user(config.user)) {
        return fail("user: \"" + config.user + "\" is not uid or uid:gid (decimal)");
    }
    TRY(read_string(doc, "hostname", "hostname", config.hostname));
    if (config.hostname.size() > max_hostname_length) {
        return fail("hostname: longer than " + std::to_string(max_hostname_length) + " bytes");
    }
    config.network = TRY(read_network(doc));
    TRY(read_optional_u32(doc, "share_uid", "share_uid", config.share_uid));
    TRY(read_optional_u32(doc, "share_gid", "share_gid", config.share_gid));
    TRY(read_bool(doc, "interactive", "interactive", config.interactive));
    TRY(read_bool(doc, "tty", "tty", config.tty));
    return config;
}

// nlohmann's messages start with "[json.exception.parse_error.101] "; the id helps nobody
// reading a boot console.
std::string without_exception_id(std::string text) {
    if (!text.empty() && text.front() == '[') {
        auto end = text.find("] ");
        if (end != std::string::npos) {
            text.erase(0, end + 2);
        }
    }
    return text;
}

} // namespace

std::string default_guest_path(std::string_view tag) {
    return "/" + std::string(tag);
}

Result<GuestConfig> parse_guest_config(std::string_view text, std::string_view source) {
    std::string const where(source);
    json doc;
    try {
        doc = json::parse(text.begin(), text.end());
    } catch (json::exception const& e) {
        return std::unexpected(Error::message(without_exception_id(e.what())).context(where));
    }
    return TRY_CTX(read_config(doc), where);
}

std::string serialize(GuestConfig const& config) {
    // Ordered, so the file reads in the order of the struct rather than alphabetically.
    nlohmann::ordered_json doc = nlohmann::ordered_json::object();
    if (config.tmp_size_mib != 0) {
        doc["tmp_size_mib"] = config.tmp_size_mib;
    }
    if (!config.virtiofs_mounts.empty()) {
        auto& mounts = doc["virtiofs_mounts"] = nlohmann::ordered_json::array();
        for (auto const& mount : config.virtiofs_mounts) {
            nlohmann::ordered_json entry = {{"tag", mount.tag}, {"guest_path", mount.guest_path}};
            if (mount.read_only) {
                entry["read_only"] = true;
            }
            if (mount.allow_setuid) {
                entry["allow_setuid"] = true;
            }
            if (mount.allow_devices) {
                entry["allow_devices"] = true;
            }
            mounts.push_back(std::move(entry));
        }
    }
    if (!config.argv.empty()) {
        doc["argv"] = config.argv;
    }
    if (!config.env.empty()) {
        doc["env"] = config.env;
    }
    if (!config.cwd.empty() && config.cwd != "/") {
        doc["cwd"] = config.cwd;
    }
    if (!config.user.empty()) {
        doc["user"] = config.user;
    }
    if (!config.hostname.empty()) {
        doc["hostname"] = config.hostname;
    }
    if (config.network) {
        nlohmann::ordered_json network = {{"address", config.network->address}};
        if (!config.network->gateway.empty()) {
            network["gateway"] = config.network->gateway;
        }
        if (!config.network->dns.empty()) {
            network["dns"] = config.network->dns;
        }
        doc["network"] = std::move(network);
    }
    if (config.share_uid) {
        doc["share_uid"] = *config.share_uid;
    }
    if (config.share_gid) {
        doc["share_gid"] = *config.share_gid;
    }
    if (config.interactive) {
        doc["interactive"] = true;
    }
    if (config.tty) {
        doc["tty"] = true;
    }
    return doc.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

} // namespace microvm::contract
