#include "cli/mount_spec.hpp"

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>

#include "contract/share_rules.hpp"

namespace microvm::cli {

namespace {

std::filesystem::path absolute_host_path(std::string_view text) {
    std::error_code ignored;
    auto absolute = std::filesystem::absolute(std::filesystem::path(text), ignored);
    return absolute.lexically_normal();
}

std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (true) {
        std::size_t end = text.find(separator, start);
        parts.push_back(text.substr(start, end - start));
        if (end == std::string_view::npos) {
            return parts;
        }
        start = end + 1;
    }
}

std::string tag_from_guest_path(std::string_view guest_path) {
    std::string tag;
    for (char c : guest_path) {
        bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
        char mapped = keep ? c : '-';
        if (mapped == '-' && (tag.empty() || tag.back() == '-')) {
            continue;
        }
        tag += mapped;
    }
    while (!tag.empty() && tag.back() == '-') {
        tag.pop_back();
    }
    if (tag.empty()) {
        tag = "share";
    }
    return tag;
}

} // namespace

Result<VirtioFSMount> parse_volume(std::string_view spec) {
    auto const quoted = "-v \"" + std::string(spec) + "\"";
    auto parts = split(spec, ':');
    if (parts.size() < 2 || parts.size() > 3) {
        return fail(quoted + ": expected HOST:GUEST[:OPTIONS]");
    }
    if (parts[0].empty()) {
        return fail(quoted + ": the host path is empty");
    }
    if (parts[1].empty()) {
        return fail(quoted + ": the guest path is empty");
    }
    VirtioFSMount mount;
    mount.host_path = absolute_host_path(parts[0]);
    mount.guest_path = std::string(parts[1]);
    if (parts.size() == 3) {
        for (auto option : split(parts[2], ',')) {
            if (option == "ro" || option == "rw") {
                mount.read_only = option == "ro";
            } else if (option == "suid" || option == "nosuid") {
                mount.allow_setuid = option == "suid";
            } else if (option == "dev" || option == "nodev") {
                mount.allow_devices = option == "dev";
            } else {
                return fail(quoted + ": unknown option \"" + std::string(option) +
                            "\" (expected ro, rw, suid, nosuid, dev or nodev)");
            }
        }
    }
    return mount;
}

Result<VirtioFSMount> parse_mount(std::string_view spec) {
    auto const quoted = "--mount \"" + std::string(spec) + "\"";
    VirtioFSMount mount;
    bool have_type = false;
    for (auto field : split(spec, ',')) {
        auto equals = field.find('=');
        auto key = field.substr(0, equals);
        auto value =
            equals == std::string_view::npos ? std::string_view() : field.substr(equals + 1);
        if (key == "type") {
            if (value != "virtiofs") {
                return fail(quoted + ": type \"" + std::string(value) +
                            "\" is not supported (only virtiofs)");
            }
            have_type = true;
        } else if (key == "source" || key == "src") {
            mount.host_path = absolute_host_path(value);
        } else if (key == "target" || key == "destination" || key == "dst") {
            mount.guest_path = std::string(value);
        } else if (key == "readonly" || key == "ro") {
            if (equals == std::string_view::npos || value == "true" || value == "1") {
                mount.read_only = true;
            } else if (value != "false" && value != "0") {
                return fail(quoted + ": readonly takes true or false");
            }
        } else if (key == "suid" || key == "dev") {
            bool& allow = key == "suid" ? mount.allow_setuid : mount.allow_devices;
            if (equals == std::string_view::npos || value == "true" || value == "1") {
                allow = true;
            } else if (value != "false" && value != "0") {
                return fail(quoted + ": " + std::string(key) + " takes true or false");
            }
        } else if (key == "tag") {
            mount.tag = std::string(value);
        } else {
            return fail(quoted + ": unknown key \"" + std::string(key) + "\"");
        }
    }
    if (!have_type) {
        return fail(quoted + ": type=virtiofs is required");
    }
    if (mount.host_path.empty()) {
        return fail(quoted + ": source= is required");
    }
    if (mount.guest_path.empty()) {
        return fail(quoted + ": target= is required");
    }
    return mount;
}

void assign_tags(std::vector<VirtioFSMount>& mounts) {
    std::set<std::string> taken;
    for (auto const& mount : mounts) {
        if (!mount.tag.empty()) {
            taken.insert(mount.tag);
        }
    }
    for (auto& mount : mounts) {
        if (!mount.tag.empty()) {
            continue;
        }
        std::string base = tag_from_guest_path(mount.guest_path);
        // Leave room for a "-NN" suffix within the 36 bytes virtio-fs carries.
        base.resize(std::min(base.size(), contract::max_tag_length - 4));
        std::string tag = base;
        for (int n = 2; taken.contains(tag); ++n) {
            tag = base + "-" + std::to_string(n);
        }
        taken.insert(tag);
        mount.tag = tag;
    }
}

} // namespace microvm::cli
