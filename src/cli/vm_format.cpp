#include "cli/vm_format.hpp"

#include "contract/egress_json.hpp"
#include "host/state/vm_record.hpp"

namespace microvm::cli {

namespace {

nlohmann::json optional_time(std::optional<std::chrono::system_clock::time_point> const& time) {
    return time ? nlohmann::json(state::format_time(*time)) : nlohmann::json(nullptr);
}

// The policy in force and its counters; null without a policy.
nlohmann::json egress_json(VmInfo const& info) {
    if (!info.egress) {
        return nullptr;
    }
    nlohmann::json out = contract::egress_to_json(*info.egress);
    if (!out.contains("dns")) {
        out["dns"] = nlohmann::json::array();
    }
    out["counters"] = info.egress_counters
                          ? nlohmann::json(contract::egress_counters_to_json(*info.egress_counters))
                          : nlohmann::json(nullptr);
    return out;
}

nlohmann::json optional_number(std::optional<std::uint64_t> const& value) {
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

// What the VM may take of the host, and what it takes: its root's cap and that disk's usage on
// the host, its logs' cap and what they dropped (null: no cap).
nlohmann::json resources_json(VmInfo const& info) {
    return {
        {"disk",
         {{"size", optional_number(info.disk_size)}, {"used", optional_number(info.disk_used)}}},
        {"logs",
         {{"max_size", optional_number(info.log_max_size)},
          {"dropped",
           {{"stdout", info.logs_dropped.stdout_bytes},
            {"stderr", info.logs_dropped.stderr_bytes},
            {"console", info.logs_dropped.console_bytes}}}}}};
}

template <typename Item, typename Show>
std::string joined(std::vector<Item> const& items, Show show) {
    std::string out;
    for (auto const& item : items) {
        out += (out.empty() ? "" : ", ") + show(item);
    }
    return out;
}

} // namespace

std::string status_text(VmInfo const& info) {
    if (info.status == VmStatus::running && info.exec_sessions > 0) {
        return "running (" + std::to_string(info.exec_sessions) + " exec)";
    }
    if (info.status != VmStatus::exited) {
        return to_string(info.status);
    }
    return info.exit_code ? "exited (" + std::to_string(*info.exit_code) + ")" : "exited (error)";
}

std::string source_text(VmInfo const& info) {
    return info.image.empty() ? info.rootfs.string() : info.image;
}

std::string ports_text(VmInfo const& info) {
    return joined(info.ports, [](PortForward const& port) {
        return port.host_address + ":" + std::to_string(port.host) + "->" +
               std::to_string(port.guest) + "/" + to_string(port.protocol);
    });
}

std::string mounts_text(VmInfo const& info) {
    return joined(info.mounts, [](MountInfo const& mount) {
        std::string options = mount.mount.read_only ? "ro" : "";
        for (auto [allowed, name] : {std::pair{mount.mount.allow_setuid, "suid"},
                                     std::pair{mount.mount.allow_devices, "dev"}}) {
            if (allowed) {
                options += (options.empty() ? "" : ",") + std::string(name);
            }
        }
        return mount.mount.host_path.string() + ":" + mount.mount.guest_path +
               (options.empty() ? "" : ":" + options);
    });
}

nlohmann::json vm_json(VmInfo const& info) {
    nlohmann::json ports = nlohmann::json::array();
    for (auto const& port : info.ports) {
        ports.push_back({{"host_address", port.host_address},
                         {"host", port.host},
                         {"guest", port.guest},
                         {"protocol", to_string(port.protocol)}});
    }
    nlohmann::json mounts = nlohmann::json::array();
    for (auto const& mount : info.mounts) {
        mounts.push_back(
            {{"tag", mount.mount.tag},
             {"source", mount.mount.host_path.string()},
             {"destination", mount.mount.guest_path},
             {"read_only", mount.mount.read_only},
             // Whether the share may hold files that carry privilege on the host; without
             // the opt-in the host-side file server refuses them.
             {"allow_setuid", mount.mount.allow_setuid},
             {"allow_devices", mount.mount.allow_devices},
             {"enforced", mount.mount.read_only ? nlohmann::json(to_string(mount.enforcement))
                                                : nlohmann::json(nullptr)}});
    }
    return {
        {"name", info.name},
        {"image", info.image},
        {"rootfs", info.rootfs.string()},
        {"command", info.command},
        {"state",
         {{"status", to_string(info.status)},
          {"running", info.status == VmStatus::running},
          {"exec_sessions", info.exec_sessions},
          {"pid", info.status == VmStatus::running ? info.pid : 0},
          {"exit_code", info.exit_code ? nlohmann::json(*info.exit_code) : nlohmann::json(nullptr)},
          {"error", info.error},
          {"created", state::format_time(info.created)},
          {"started", optional_time(info.started)},
          {"finished", optional_time(info.finished)}}},
        {"config",
         {{"backend", to_string(info.backend)},
          {"kernel", info.kernel},
          {"cpus", info.cpus},
          {"memory_mib", info.memory_mib},
          {"read_only_policy", to_string(info.read_only_policy)},
          {"auto_remove", info.auto_remove},
          {"interactive", info.interactive},
          {"tty", info.tty}}},
        {"mounts", mounts},
        {"ports", ports},
        {"egress", egress_json(info)},
        {"resources", resources_json(info)},
        {"data_dir", info.data_dir.string()},
    };
}

} // namespace microvm::cli
