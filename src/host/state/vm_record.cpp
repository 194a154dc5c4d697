#include "host/state/vm_record.hpp"

#include <time.h>

#include <nlohmann/json.hpp>

#include "contract/egress_json.hpp"
#include "contract/json_fields.hpp"

namespace microvm {

char const* to_string(VmStatus status) {
    switch (status) {
    case VmStatus::created:
        return "created";
    case VmStatus::running:
        return "running";
    case VmStatus::exited:
        return "exited";
    }
    return "?";
}

char const* to_string(Enforcement enforcement) {
    switch (enforcement) {
    case Enforcement::none:
        return "";
    case Enforcement::host_and_guest:
        return "host+guest";
    case Enforcement::guest_only:
        return "guest-only";
    case Enforcement::unknown:
        return "unknown";
    }
    return "?";
}

} // namespace microvm

namespace microvm::state {

namespace {

using contract::read_bool;
using contract::read_string;
using contract::read_strings;
using contract::read_unsigned;
using nlohmann::json;

template <typename Enum, std::size_t N>
Result<Enum> enum_from(std::string const& text, Enum const (&values)[N], std::string const& field) {
    for (Enum value : values) {
        if (text == to_string(value)) {
            return value;
        }
    }
    return fail(field + ": unknown value \"" + text + "\"");
}

constexpr VmStatus all_statuses[] = {VmStatus::created, VmStatus::running, VmStatus::exited};
constexpr Enforcement all_enforcements[] = {Enforcement::none, Enforcement::host_and_guest,
                                            Enforcement::guest_only, Enforcement::unknown};

json optional_time(std::optional<std::chrono::system_clock::time_point> const& time) {
    return time ? json(format_time(*time)) : json(nullptr);
}

Result<std::optional<std::chrono::system_clock::time_point>> read_optional_time(json const& object,
                                                                                char const* key) {
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) {
        return std::nullopt;
    }
    auto text = TRY(contract::as_string(*it, key));
    return TRY_CTX(parse_time(text), key);
}

Result<void> read_ports(json const& object, std::vector<PortForward>& out) {
    auto const* ports = TRY(contract::read_array(object, "ports", "ports"));
    if (ports == nullptr) {
        return {};
    }
    for (std::size_t i = 0; i < ports->size(); ++i) {
        auto const field = "ports[" + std::to_string(i) + "]";
        auto const& entry = (*ports)[i];
        TRY(contract::expect_object(entry, field));
        PortForward port;
        TRY(read_unsigned(entry, "host", field + ".host", port.host));
        TRY(read_unsigned(entry, "guest", field + ".guest", port.guest));
        std::string protocol = to_string(port.protocol);
        TRY(read_string(entry, "protocol", field + ".protocol", protocol));
        port.protocol = TRY_CTX(parse_protocol(protocol), field + ".protocol");
        TRY(read_string(entry, "host_address", field + ".host_address", port.host_address));
        out.push_back(std::move(port));
    }
    return {};
}

Result<void> read_mounts(json const& object, std::vector<MountInfo>& out) {
    auto const* mounts = TRY(contract::read_array(object, "mounts", "mounts"));
    if (mounts == nullptr) {
        return {};
    }
    for (std::size_t i = 0; i < mounts->size(); ++i) {
        auto const field = "mounts[" + std::to_string(i) + "]";
        auto const& entry = (*mounts)[i];
        TRY(contract::expect_object(entry, field));
        MountInfo mount;
        std::string host_path;
        std::string enforced;
        TRY(read_string(entry, "tag", field + ".tag", mount.mount.tag));
        TRY(read_string(entry, "host_path", field + ".host_path", host_path));
        TRY(read_string(entry, "guest_path", field + ".guest_path", mount.mount.guest_path));
        TRY(read_bool(entry, "read_only", field + ".read_only", mount.mount.read_only));
        TRY(read_bool(entry, "allow_setuid", field + ".allow_setuid", mount.mount.allow_setuid));
        TRY(read_bool(entry, "allow_devices", field + ".allow_devices", mount.mount.allow_devices));
        TRY(read_string(entry, "enforced", field + ".enforced", enforced));
        mount.mount.host_path = host_path;
        mount.enforcement = TRY(enum_from(enforced, all_enforcements, field + ".enforced"));
        out.push_back(std::move(mount));
    }
    return {};
}

Result<void> read_runner(json const& object, std::optional<process::ProcessIdentity>& out) {
    auto it = object.find("runner");
    if (it == object.end() || it->is_null()) {
        return {};
    }
    TRY(contract::expect_object(*it, "runner"));
    process::ProcessIdentity identity;
    std::uint32_t pid = 0;
    std::string exe;
    TRY(read_unsigned(*it, "pid", "runner.pid", pid));
    TRY(read_unsigned(*it, "start_time", "runner.start_time", identity.start_time));
    TRY(read_string(*it, "exe", "runner.exe", exe));
    if (pid < 2 || pid > static_cast<std::uint32_t>(std::numeric_limits<pid_t>::max())) {
        return fail("runner.pid: " + std::to_string(pid) + " is not a runner's PID");
    }
    identity.pid = static_cast<pid_t>(pid);
    identity.exe = exe;
    out = std::move(identity);
    return {};
}

} // namespace

std::string format_time(std::chrono::system_clock::time_point time) {
    std::time_t const seconds = std::chrono::system_clock::to_time_t(time);
    std::tm utc{};
    ::gmtime_r(&seconds, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

Result<std::chrono::system_clock::time_point> parse_time(std::string_view text) {
    std::string const copy(text);
    std::tm utc{};
    char const* end = ::strptime(copy.c_str(), "%Y-%m-%dT%H:%M:%SZ", &utc);
    if (end == nullptr || *end != '\0') {
        return fail("not a UTC time like 2026-12-01T09:30:00Z: \"" + copy + "\"");
    }
    return std::chrono::system_clock::from_time_t(::timegm(&utc));
}

std::string serialize(VmRecord const& record) {
    VmInfo const& info = record.info;
    json ports = json::array();
    for (auto const& port : info.ports) {
        ports.push_back({{"host", port.host},
                         {"guest", port.guest},
                         {"protocol", to_string(port.protocol)},
                         {"host_address", port.host_address}});
    }
    json mounts = json::array();
    for (auto const& mount : info.mounts) {
        mounts.push_back({{"tag", mount.mount.tag},
                          {"host_path", mount.mount.host_path.string()},
                          {"guest_path", mount.mount.guest_path},
                          {"read_only", mount.mount.read_only},
                          {"allow_setuid", mount.mount.allow_setuid},
                          {"allow_devices", mount.mount.allow_devices},
                          {"enforced", to_string(mount.enforcement)}});
    }
    json runner = nullptr;
    if (record.runner) {
        runner = {{"pid", record.runner->pid},
                  {"start_time", record.runner->start_time},
                  {"exe", record.runner->exe.string()}};
    }
    json resources = {{"cpus", info.cpus}, {"memory_mib", info.memory_mib}};
    if (info.disk_size) {
        resources["disk_size"] = *info.disk_size;
    }
    if (info.log_max_size) {
        resources["log_max_size"] = *info.log_max_size;
    }
    json out = {
        {"version", record_version},
        {"name", info.name},
        {"image", info.image},
        {"rootfs", info.rootfs.string()},
        {"command", info.command},
        {"status", to_string(info.status)},
        {"exit_code", info.exit_code ? json(*info.exit_code) : json(nullptr)},
        {"error", info.error},
        {"created", format_time(info.created)},
        {"started", optional_time(info.started)},
        {"finished", optional_time(info.finished)},
        {"runner", runner},
        {"backend", to_string(info.backend)},
        {"kernel", info.kernel},
        {"resources", resources},
        {"ports", ports},
        {"mounts", mounts},
        {"read_only_policy", to_string(info.read_only_policy)},
        {"auto_remove", info.auto_remove},
        {"interactive", info.interactive},
        {"tty", info.tty},
    };
    if (info.egress) {
        out["egress"] = json(contract::egress_to_json(*info.egress));
    }
    return out.dump(2) + "\n";
}

Result<VmRecord> parse_record(std::string_view text) {
    auto const doc = json::parse(text, nullptr, false);
    if (doc.is_discarded()) {
        return fail("not valid JSON");
    }
    TRY(contract::expect_object(doc, "state"));
    std::uint32_t version = 0;
    TRY(read_unsigned(doc, "version", "version", version));
    if (version != record_version) {
        return fail("version " + std::to_string(version) + " is not " +
                    std::to_string(record_version) + " (written by another microvm version)");
    }
    VmRecord record;
    VmInfo& info = record.info;
    TRY(read_string(doc, "name", "name", info.name));
    if (info.name.empty()) {
        return fail("name is required");
    }
    TRY(read_string(doc, "image", "image", info.image));
    std::string rootfs;
    TRY(read_string(doc, "rootfs", "rootfs", rootfs));
    info.rootfs = rootfs;
    TRY(read_strings(doc, "command", "command", info.command));
    std::string status;
    TRY(read_string(doc, "status", "status", status));
    info.status = TRY(enum_from(status, all_statuses, "status"));
    if (auto it = doc.find("exit_code"); it != doc.end() && !it->is_null()) {
        if (!it->is_number_integer()) {
            return fail("exit_code must be an integer or null");
        }
        info.exit_code = it->get<int>();
    }
    TRY(read_string(doc, "error", "error", info.error));
    std::string created;
    TRY(read_string(doc, "created", "created", created));
    info.created = TRY_CTX(parse_time(created), "created");
    info.started = TRY(read_optional_time(doc, "started"));
    info.finished = TRY(read_optional_time(doc, "finished"));
    TRY(read_runner(doc, record.runner));
    info.pid = record.runner ? record.runner->pid : 0;
    std::string backend = to_string(info.backend);
    TRY(read_string(doc, "backend", "backend", backend));
    info.backend = TRY_CTX(parse_backend(backend), "backend");
    TRY(read_string(doc, "kernel", "kernel", info.kernel));
    if (auto const* resources = TRY(contract::read_object(doc, "resources", "resources"))) {
        TRY(read_unsigned(*resources, "cpus", "resources.cpus", info.cpus));
        TRY(read_unsigned(*resources, "memory_mib", "resources.memory_mib", info.memory_mib));
        if (resources->contains("disk_size")) {
            std::uint64_t disk_size = 0;
            TRY(read_unsigned(*resources, "disk_size", "resources.disk_size", disk_size));
            info.disk_size = disk_size;
        }
        if (resources->contains("log_max_size")) {
            std::uint64_t log_max_size = 0;
            TRY(read_unsigned(*resources, "log_max_size", "resources.log_max_size", log_max_size));
            info.log_max_size = log_max_size;
        }
    }
    TRY(read_ports(doc, info.ports));
    TRY(read_mounts(doc, info.mounts));
    std::string policy = to_string(info.read_only_policy);
    TRY(read_string(doc, "read_only_policy", "read_only_policy", policy));
    info.read_only_policy = TRY_CTX(parse_read_only_policy(policy), "read_only_policy");
    TRY(read_bool(doc, "auto_remove", "auto_remove", info.auto_remove));
    TRY(read_bool(doc, "interactive", "interactive", info.interactive));
    TRY(read_bool(doc, "tty", "tty", info.tty));
    info.egress = TRY(contract::read_egress_policy(doc, "egress", "egress"));
    return record;
}

} // namespace microvm::state
