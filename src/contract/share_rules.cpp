#include "contract/share_rules.hpp"

#include <string>

#include "contract/guest_protocol.hpp"

namespace microvm::contract {

Result<void> validate_tag(std::string_view tag) {
    if (tag.empty()) {
        return fail("tag must not be empty");
    }
    if (tag == root_share_tag) {
        // Two devices with one tag: the guest could mount the user's share as its root.
        return fail("tag \"" + std::string(tag) + "\" is reserved for the VM's root share");
    }
    if (tag.size() > max_tag_length) {
        return fail("tag \"" + std::string(tag) + "\" is longer than " +
                    std::to_string(max_tag_length) + " bytes");
    }
    for (char c : tag) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok) {
            return fail("tag \"" + std::string(tag) + "\" has a character outside [A-Za-z0-9._-]");
        }
    }
    return {};
}

Result<void> validate_guest_path(std::string_view path) {
    std::string const quoted = "\"" + std::string(path) + "\"";
    if (path.empty() || path.front() != '/') {
        return fail("guest path " + quoted + " is not absolute");
    }
    std::size_t start = 1;
    bool any_component = false;
    std::string first;
    while (start <= path.size()) {
        std::size_t end = path.find('/', start);
        if (end == std::string_view::npos) {
            end = path.size();
        }
        std::string_view component = path.substr(start, end - start);
        if (component == "." || component == "..") {
            return fail("guest path " + quoted + " has a \".\" or \"..\" component");
        }
        if (!component.empty()) {
            if (!any_component) {
                first = std::string(component);
            }
            any_component = true;
        }
        start = end + 1;
    }
    if (!any_component) {
        return fail("guest path " + quoted + " is the root; a share cannot replace /");
    }
    if (first == "proc" || first == "sys" || first == "dev") {
        return fail("guest path " + quoted + " is under /" + first +
                    ", which the guest kernel owns");
    }
    return {};
}

std::string guest_only_warning(std::string_view tag, std::string_view engine) {
    return "Warning: virtiofs mount \"" + std::string(tag) + "\" is read-only but " +
           std::string(engine) + " has no host-side enforcement; relying on guest-side MS_RDONLY";
}

} // namespace microvm::contract
