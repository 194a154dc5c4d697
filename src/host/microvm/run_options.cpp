// validate(RunOptions): every rule names the field it concerns, so a caller (or the CLI) can
// point at the exact flag that was wrong.
#include <arpa/inet.h>

#include <set>
#include <system_error>
#include <utility>

#include <microvm/options.hpp>

#include "contract/share_rules.hpp"
#include "host/microvm/data_dir.hpp"
#include "host/net/guest_network.hpp"

namespace microvm {

namespace {

std::string in_quotes(std::string_view text) {
    return "\"" + std::string(text) + "\"";
}

// Prefixes a rule's message with the field it concerns: "mounts[1].tag: ...". The cause is
// kept as it is, errno included, with the field as one more clause of context.
std::unexpected<Error> field_error(std::string const& field, Error cause) {
    return std::unexpected(std::move(cause).context(field));
}
std::unexpected<Error> field_error(std::string const& field, std::string const& message) {
    return fail(field + ": " + message);
}

Result<void> check_directory(std::filesystem::path const& path) {
    if (path.empty()) {
        return fail("must not be empty");
    }
    std::error_code ec;
    auto status = std::filesystem::status(path, ec);
    if (status.type() == std::filesystem::file_type::not_found) {
        return fail("directory not found: " + path.string());
    }
    // Any other failure (ELOOP, EACCES, ...) keeps its errno.
    if (ec) {
        return fail_errno("stat " + path.string(), ec.value());
    }
    if (!std::filesystem::is_directory(status)) {
        return fail("not a directory: " + path.string());
    }
    return {};
}

// The checks of one share; `prefix` is "" for a lone mount or "mounts[i]." inside RunOptions.
Result<void> check_mount(VirtioFSMount const& mount, std::string const& prefix) {
    if (auto ok = contract::validate_tag(mount.tag); !ok) {
        return field_error(prefix + "tag", std::move(ok.error()));
    }
    if (auto ok = check_directory(mount.host_path); !ok) {
        return field_error(prefix + "host_path", std::move(ok.error()));
    }
    if (auto ok = contract::validate_guest_path(mount.guest_path); !ok) {
        return field_error(prefix + "guest_path", std::move(ok.error()));
    }
    return {};
}

// "/data/" and "/data" are the same mount point, so duplicates are found on a normal form.
std::string normal_guest_path(std::string const& path) {
    return std::filesystem::path(path).lexically_normal().string();
}

Result<void> check_mounts(std::vector<VirtioFSMount> const& mounts) {
    std::set<std::string> tags;
    std::set<std::string> guest_paths;
    for (std::size_t i = 0; i < mounts.size(); ++i) {
        std::string const prefix = "mounts[" + std::to_string(i) + "].";
        auto const& mount = mounts[i];
        TRY(check_mount(mount, prefix));
        if (!tags.insert(mount.tag).second) {
            return field_error(prefix + "tag", "duplicate tag " + in_quotes(mount.tag));
        }
        std::string guest = normal_guest_path(mount.guest_path);
        if (guest.size() > 1 && guest.back() == '/') {
            guest.pop_back();
        }
        if (!guest_paths.insert(guest).second) {
            return field_error(prefix + "guest_path",
                               "duplicate guest path " + in_quotes(mount.guest_path));
        }
    }
    return {};
}

Result<void> check_ports(std::vector<PortForward> const& ports) {
    std::set<std::pair<std::uint16_t, Protocol>> seen;
    for (std::size_t i = 0; i < ports.size(); ++i) {
        std::string const prefix = "ports[" + std::to_string(i) + "].";
        auto const& port = ports[i];
        if (port.host == 0) {
            return field_error(prefix + "host", "port must be 1..65535");
        }
        if (port.guest == 0) {
            return field_error(prefix + "guest", "port must be 1..65535");
        }
        unsigned char address[sizeof(in6_addr)];
        if (::inet_pton(AF_INET, port.host_address.c_str(), address) != 1 &&
            ::inet_pton(AF_INET6, port.host_address.c_str(), address) != 1) {
            return field_error(prefix + "host_address",
                               "not an IPv4 or IPv6 address: " + in_quotes(port.host_address));
        }
        if (!seen.insert({port.host, port.protocol}).second) {
            return field_error(prefix + "host", "host port " + std::to_string(port.host) + "/" +
                                                    to_string(port.protocol) +
                                                    " is forwarded twice");
        }
    }
    return {};
}

Result<void> check_env(std::vector<std::string> const& env) {
    for (std::size_t i = 0; i < env.size(); ++i) {
        std::string const field = "env[" + std::to_string(i) + "]";
        auto const& entry = env[i];
        auto equals = entry.find('=');
        if (equals == std::string::npos) {
            return field_error(field, in_quotes(entry) + " is not KEY=VALUE");
        }
        if (equals == 0) {
            return field_error(field, in_quotes(entry) + " has an empty key");
        }
        if (entry.find('\0') != std::string::npos) {
            return field_error(field, "contains a NUL byte");
        }
    }
    return {};
}

} // namespace

Result<void> validate(VirtioFSMount const& mount) {
    return check_mount(mount, "");
}

Result<void> validate(RunOptions const& options) {
    // Its messages already start with "name".
    TRY(validate_vm_name(options.name));
    if (options.cpus == 0) {
        return fail("cpus must be > 0");
    }
    if (options.memory_mib == 0) {
        return fail("memory_mib must be > 0");
    }
    if (options.log_max_size && *options.log_max_size != 0 &&
        *options.log_max_size < min_log_max_size) {
        return fail("log_max_size: " + std::to_string(*options.log_max_size) +
                    " bytes is less than the smallest cap (" +
                    std::to_string(min_log_max_size >> 10) + " KiB, or 0 for no cap)");
    }
    if (options.log_max_size && *options.log_max_size != 0 &&
        options.backend == BackendKind::libkrun) {
        return fail("log_max_size: the libkrun backend cannot cap its logs yet (0 for no cap)");
    }
    if (options.disk_size && *options.disk_size != 0 && *options.disk_size < min_disk_size) {
        return fail("disk_size: " + std::to_string(*options.disk_size) +
                    " bytes is too small for a file system (at least " +
                    std::to_string(min_disk_size >> 20) + " MiB, or 0 for no cap)");
    }
    if (!options.rootfs.empty()) {
        if (auto ok = check_directory(options.rootfs); !ok) {
            return field_error("rootfs", std::move(ok.error()));
        }
    }
    if (options.workdir && (options.workdir->empty() || options.workdir->front() != '/')) {
        return field_error("workdir", in_quotes(*options.workdir) + " is not absolute");
    }
    if (options.log_level > 5) {
        return fail("log_level must be 0..5");
    }
    TRY(check_mounts(options.mounts));
    TRY(check_ports(options.ports));
    if (options.network == NetworkMode::none && !options.ports.empty()) {
        return field_error("ports", "a VM with network \"none\" has no network to forward " +
                                        std::to_string(options.ports.front().host) + " to");
    }
    if (options.egress) {
        if (options.network == NetworkMode::none) {
            return field_error("egress", "a VM with network \"none\" has no network to filter");
        }
        TRY_CTX(validate(*options.egress), "egress");
    }
    TRY(check_env(options.env));
    TRY(net::check_network_support(options));
    return {};
}

} // namespace microvm
