#include "contract/runner_config.hpp"

#include <fstream>
#include <iostream>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>

#include "contract/egress_json.hpp"
#include "contract/json_fields.hpp"
#include "contract/share_rules.hpp"

namespace microvm::contract {

namespace {

using nlohmann::json;

// log_level counts as libkrun does: 0 off .. 5 trace.
constexpr std::uint32_t max_log_level = 5;

template <typename Enum>
Result<void> read_enum(json const& object, char const* key, std::string const& field,
                       Result<Enum> (*parse)(std::string_view), Enum& out) {
    std::string text;
    bool present = object.contains(key);
    TRY(read_string(object, key, field, text));
    if (present) {
        out = TRY_CTX(parse(text), field);
    }
    return {};
}

std::string element(char const* key, std::size_t index) {
    return std::string(key) + "[" + std::to_string(index) + "]";
}

Result<RunnerMount> parse_mount(json const& item, std::string const& where) {
    TRY(expect_object(item, where));
    RunnerMount mount;
    TRY(read_string(item, "tag", where + ".tag", mount.tag));
    TRY(read_string(item, "path", where + ".path", mount.path));
    TRY(read_bool(item, "read_only", where + ".read_only", mount.read_only));
    TRY(read_bool(item, "allow_setuid", where + ".allow_setuid", mount.allow_setuid));
    TRY(read_bool(item, "allow_devices", where + ".allow_devices", mount.allow_devices));
    return mount;
}

Result<RunnerPortForward> parse_port_forward(json const& item, std::string const& where) {
    TRY(expect_object(item, where));
    RunnerPortForward forward;
    TRY(read_unsigned(item, "host", where + ".host", forward.host));
    TRY(read_unsigned(item, "guest", where + ".guest", forward.guest));
    TRY(read_enum<Protocol>(item, "protocol", where + ".protocol", &parse_protocol,
                            forward.protocol));
    TRY(read_string(item, "host_address", where + ".host_address", forward.host_address));
    return forward;
}

Result<void> parse_libkrun(json const& object, LibkrunSettings& out) {
    json const* settings = TRY(read_object(object, "libkrun", "libkrun"));
    if (settings != nullptr) {
        TRY(read_string(*settings, "library", "libkrun.library", out.library));
        TRY(read_string(*settings, "init", "libkrun.init", out.init));
    }
    return {};
}

Result<void> parse_qemu(json const& object, QemuSettings& out) {
    json const* settings = TRY(read_object(object, "qemu", "qemu"));
    if (settings == nullptr) {
        return {};
    }
    std::pair<char const*, std::string*> const fields[] = {
        {"binary", &out.binary},
        {"kernel", &out.kernel},
        {"initrd", &out.initrd},
        {"virtiofsd", &out.virtiofsd},
        {"accel", &out.accel},
        {"machine", &out.machine},
        {"kernel_cmdline_extra", &out.kernel_cmdline_extra},
    };
    for (auto const& [key, target] : fields) {
        TRY(read_string(*settings, key, std::string("qemu.") + key, *target));
    }
    return {};
}

Result<RunnerConfig> from_json(json const& root) {
    if (!root.is_object()) {
        return fail("runner.json must hold a JSON object");
    }
    RunnerConfig config;
    TRY(read_string(root, "root_path", "root_path", config.root_path));
    TRY(read_string(root, "root_upper_dir", "root_upper_dir", config.root_upper_dir));
    TRY(read_string(root, "root_work_dir", "root_work_dir", config.root_work_dir));
    TRY(read_string(root, "root_disk_image", "root_disk_image", config.root_disk_image));
    TRY(read_unsigned(root, "num_vcpus", "num_vcpus", config.num_vcpus));
    TRY(read_unsigned(root, "ram_mib", "ram_mib", config.ram_mib));
    if (json const* mounts = TRY(read_array(root, "virtiofs_mounts", "virtiofs_mounts"));
        mounts != nullptr) {
        for (std::size_t i = 0; i < mounts->size(); ++i) {
            config.virtiofs_mounts.push_back(
                TRY(parse_mount((*mounts)[i], element("virtiofs_mounts", i))));
        }
    }
    if (json const* forwards = TRY(read_array(root, "port_forwards", "port_forwards"));
        forwards != nullptr) {
        for (std::size_t i = 0; i < forwards->size(); ++i) {
            config.port_forwards.push_back(
                TRY(parse_port_forward((*forwards)[i], element("port_forwards", i))));
        }
    }
    TRY(read_enum<NetworkMode>(root, "network", "network", &parse_network_mode, config.network));
    config.egress = TRY(read_egress_policy(root, "egress", "egress"));
    TRY(read_string(root, "net_sock_path", "net_sock_path", config.net_sock_path));
    TRY(read_string(root, "console_log_path", "console_log_path", config.console_log_path));
    TRY(read_string(root, "stdout_path", "stdout_path", config.stdout_path));
    TRY(read_string(root, "stderr_path", "stderr_path", config.stderr_path));
    TRY(read_unsigned(root, "log_max_size", "log_max_size", config.log_max_size));
    TRY(read_string(root, "report_path", "report_path", config.report_path));
    TRY(read_string(root, "runtime_dir", "runtime_dir", config.runtime_dir));
    TRY(read_string(root, "remove_dir", "remove_dir", config.remove_dir));
    TRY(read_unsigned(root, "log_level", "log_level", config.log_level));
    TRY(read_enum<Engine>(root, "engine", "engine", &parse_engine, config.engine));
    TRY(read_enum<ReadOnlyPolicy>(root, "read_only_policy", "read_only_policy",
                                  &parse_read_only_policy, config.read_only_policy));
    TRY(parse_libkrun(root, config.libkrun));
    TRY(parse_qemu(root, config.qemu));
    return config;
}

enum class DirectoryCheck { ok, not_found, not_directory };

// `what` names the path in errors other than "missing" and "not a directory" (EACCES, ELOOP).
Result<DirectoryCheck> check_directory(std::string const& path, std::string const& what) {
    std::error_code error;
    auto status = std::filesystem::status(path, error);
    if (status.type() == std::filesystem::file_type::not_found) {
        return DirectoryCheck::not_found;
    }
    if (error) {
        return fail_errno("stat " + what + " " + path, error.value());
    }
    return status.type() == std::filesystem::file_type::directory ? DirectoryCheck::ok
                                                                  : DirectoryCheck::not_directory;
}

// "root path", "share path", ...: the messages of DESIGN.md §4.2.
Result<void> require_directory(std::string const& path, std::string const& what) {
    switch (TRY(check_directory(path, what))) {
    case DirectoryCheck::ok:
        return {};
    case DirectoryCheck::not_found:
        return fail(what + " not found: " + path);
    case DirectoryCheck::not_directory:
        return fail(what + " is not a directory: " + path);
    }
    return {};
}

Result<void> validate_root(RunnerConfig const& config) {
    TRY(require_directory(config.root_path, "root path"));
    bool const has_upper = !config.root_upper_dir.empty();
    bool const has_work = !config.root_work_dir.empty();
    if (has_upper != has_work) {
        // overlayfs needs both; one without the other means the host built a broken view.
        return fail(has_upper ? "root_work_dir is required with root_upper_dir"
                              : "root_upper_dir is required with root_work_dir");
    }
    if (has_upper) {
        TRY(require_directory(config.root_upper_dir, "root upper dir"));
        TRY(require_directory(config.root_work_dir, "root work dir"));
    }
    if (!config.root_disk_image.empty()) {
        if (!has_upper) {
            return fail("root_disk_image needs root_upper_dir and root_work_dir (the layer it "
                        "holds)");
        }
        auto const parent = std::filesystem::path(config.root_upper_dir).parent_path();
        if (parent != std::filesystem::path(config.root_work_dir).parent_path()) {
            return fail("root_disk_image: root_upper_dir and root_work_dir must share the parent "
                        "directory the disk is mounted on");
        }
    }
    return {};
}

Result<void> validate_mounts(std::vector<RunnerMount> const& mounts) {
    std::set<std::string> tags;
    for (std::size_t i = 0; i < mounts.size(); ++i) {
        auto const& mount = mounts[i];
        std::string const where = element("virtiofs_mounts", i);
        TRY_CTX(validate_tag(mount.tag), where);
        if (!tags.insert(mount.tag).second) {
            return fail(where + ": duplicate tag \"" + mount.tag + "\"");
        }
        std::string const named = where + " (tag \"" + mount.tag + "\")";
        if (mount.path.empty()) {
            return fail(named + ": path is required");
        }
        TRY_CTX(require_directory(mount.path, "share path"), named);
    }
    return {};
}

Result<void> validate_port_forwards(std::vector<RunnerPortForward> const& forwards) {
    std::set<std::pair<std::uint16_t, Protocol>> taken;
    for (std::size_t i = 0; i < forwards.size(); ++i) {
        auto const& forward = forwards[i];
        std::string const where = element("port_forwards", i);
        if (forward.host == 0) {
            return fail(where + ".host must be > 0");
        }
        if (forward.guest == 0) {
            return fail(where + ".guest must be > 0");
        }
        if (!taken.insert({forward.host, forward.protocol}).second) {
            return fail(where + ": host port " + std::to_string(forward.host) + "/" +
                        to_string(forward.protocol) + " is forwarded twice");
        }
    }
    return {};
}

// Adds `key` only when `value` is not empty: optional strings are absent, never "".
void put_optional(nlohmann::ordered_json& out, char const* key, std::string const& value) {
    if (!value.empty()) {
        out[key] = value;
    }
}

Result<std::string> read_all(std::string const& path) {
    if (path == "-") {
        std::string text{std::istreambuf_iterator<char>(std::cin), {}};
        if (std::cin.bad()) {
            return fail("read standard input");
        }
        return text;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return fail_errno("open " + path);
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) {
        return fail_errno("read " + path);
    }
    return text.str();
}

} // namespace

Result<RunnerConfig> parse_runner_config(std::string_view text) {
    json root;
    try {
        root = json::parse(text);
    } catch (json::exception const& error) {
        // Not only parse_error: a number too large for a double is out_of_range (406).
        // nlohmann prefixes "[json.exception.parse_error.101] "; the rest says where and why.
        std::string what = error.what();
        if (auto end = what.find("] "); what.starts_with("[json.exception") && end != what.npos) {
            what.erase(0, end + 2);
        }
        return fail("not valid JSON: " + what);
    }
    RunnerConfig config = TRY(from_json(root));
    TRY(validate(config));
    return config;
}

Result<RunnerConfig> load_runner_config(std::string const& path) {
    std::string const name = path == "-" ? "standard input" : path;
    std::string text = TRY(read_all(path));
    return TRY_CTX(parse_runner_config(text), name);
}

Result<void> validate(RunnerConfig const& config) {
    if (config.root_path.empty()) {
        return fail("root_path is required");
    }
    if (config.num_vcpus == 0) {
        return fail("num_vcpus must be > 0");
    }
    if (config.ram_mib == 0) {
        return fail("ram_mib must be > 0");
    }
    TRY(validate_root(config));
    TRY(validate_mounts(config.virtiofs_mounts));
    TRY(validate_port_forwards(config.port_forwards));
    if (config.network == NetworkMode::none &&
        (!config.port_forwards.empty() || !config.net_sock_path.empty())) {
        return fail(std::string(config.port_forwards.empty() ? "net_sock_path" : "port_forwards") +
                    ": network is \"none\"");
    }
    if (config.network == NetworkMode::none && config.egress) {
        return fail("egress: network is \"none\"");
    }
    if (config.runtime_dir.size() > max_runtime_dir_length) {
        return fail("runtime_dir is longer than " + std::to_string(max_runtime_dir_length) +
                    " bytes: " + config.runtime_dir);
    }
    if (!config.runtime_dir.empty()) {
        TRY(require_directory(config.runtime_dir, "runtime dir"));
    }
    if (config.log_level > max_log_level) {
        return fail("log_level must be in 0.." + std::to_string(max_log_level));
    }
    if (config.engine == Engine::libkrun && config.libkrun.library.empty()) {
        // dlopen("") would hand back the runner itself rather than fail.
        return fail("libkrun.library must not be empty");
    }
    if (!config.libkrun.init.empty() && config.libkrun.init.front() != '/') {
        return fail("libkrun.init must be an absolute path inside the root: " +
                    config.libkrun.init);
    }
    return {};
}

std::string serialize(RunnerConfig const& config) {
    nlohmann::ordered_json out;
    out["root_path"] = config.root_path;
    put_optional(out, "root_upper_dir", config.root_upper_dir);
    put_optional(out, "root_work_dir", config.root_work_dir);
    put_optional(out, "root_disk_image", config.root_disk_image);
    out["num_vcpus"] = config.num_vcpus;
    out["ram_mib"] = config.ram_mib;
    if (!config.virtiofs_mounts.empty()) {
        auto& mounts = out["virtiofs_mounts"] = nlohmann::ordered_json::array();
        for (auto const& mount : config.virtiofs_mounts) {
            nlohmann::ordered_json item;
            item["tag"] = mount.tag;
            item["path"] = mount.path;
            if (mount.read_only) {
                item["read_only"] = true;
            }
            if (mount.allow_setuid) {
                item["allow_setuid"] = true;
            }
            if (mount.allow_devices) {
                item["allow_devices"] = true;
            }
            mounts.push_back(std::move(item));
        }
    }
    if (!config.port_forwards.empty()) {
        auto& forwards = out["port_forwards"] = nlohmann::ordered_json::array();
        for (auto const& forward : config.port_forwards) {
            nlohmann::ordered_json item;
            item["host"] = forward.host;
            item["guest"] = forward.guest;
            item["protocol"] = to_string(forward.protocol);
            put_optional(item, "host_address", forward.host_address);
            forwards.push_back(std::move(item));
        }
    }
    out["network"] = to_string(config.network);
    if (config.egress) {
        out["egress"] = egress_to_json(*config.egress);
    }
    put_optional(out, "net_sock_path", config.net_sock_path);
    put_optional(out, "console_log_path", config.console_log_path);
    put_optional(out, "stdout_path", config.stdout_path);
    put_optional(out, "stderr_path", config.stderr_path);
    if (config.log_max_size != 0) {
        out["log_max_size"] = config.log_max_size;
    }
    put_optional(out, "report_path", config.report_path);
    put_optional(out, "runtime_dir", config.runtime_dir);
    put_optional(out, "remove_dir", config.remove_dir);
    out["log_level"] = config.log_level;
    out["engine"] = to_string(config.engine);
    out["read_only_policy"] = to_string(config.read_only_policy);

    nlohmann::ordered_json libkrun = nlohmann::ordered_json::object();
    put_optional(libkrun, "library", config.libkrun.library);
    put_optional(libkrun, "init", config.libkrun.init);
    out["libkrun"] = std::move(libkrun);

    auto const& qemu = config.qemu;
    nlohmann::ordered_json qemu_out = nlohmann::ordered_json::object();
    put_optional(qemu_out, "binary", qemu.binary);
    put_optional(qemu_out, "kernel", qemu.kernel);
    put_optional(qemu_out, "initrd", qemu.initrd);
    put_optional(qemu_out, "virtiofsd", qemu.virtiofsd);
    put_optional(qemu_out, "accel", qemu.accel);
    put_optional(qemu_out, "machine", qemu.machine);
    put_optional(qemu_out, "kernel_cmdline_extra", qemu.kernel_cmdline_extra);
    out["qemu"] = std::move(qemu_out);
    return out.dump(2) + "\n";
}

} // namespace microvm::contract
