#include "runner/vm_dir_removal.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace microvm::runner {

namespace {

// True when /proc/self/mountinfo lists a mount point at or below `dir`. Field 5 is the mount
// point, with spaces and other special bytes octal-escaped ("\040"), which a VM directory under
// microvm's data directory never contains.
bool has_mount_below(std::filesystem::path const& dir) {
    std::ifstream mountinfo("/proc/self/mountinfo");
    std::string const prefix = dir.string() + "/";
    for (std::string line; std::getline(mountinfo, line);) {
        std::istringstream fields(line);
        std::string id, parent, device, root, mount_point;
        fields >> id >> parent >> device >> root >> mount_point;
        if (mount_point == dir.string() || mount_point.starts_with(prefix)) {
            return true;
        }
    }
    return false;
}

} // namespace

Result<void> remove_vm_dir(std::string const& dir) {
    std::filesystem::path const path = std::filesystem::path(dir).lexically_normal();
    if (!path.is_absolute() || path == path.root_path()) {
        return fail("remove_dir: refusing to remove \"" + dir + "\"");
    }
    if (has_mount_below(path)) {
        return fail("remove_dir: something is still mounted below " + dir + "; leaving it");
    }
    std::error_code error;
    std::filesystem::remove_all(path, error);
    if (error) {
        return fail_errno("remove " + dir, error.value());
    }
    return {};
}

} // namespace microvm::runner
