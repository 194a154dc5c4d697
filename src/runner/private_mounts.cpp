#include "runner/private_mounts.hpp"

#include <sched.h>
#include <sys/mount.h>

namespace microvm::runner {

namespace {

void append_escaped(std::string& out, std::string_view path) {
    for (char c : path) {
        if (c == ',' || c == ':' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
}

} // namespace

Result<void> enter_private_mount_namespace() {
    if (::unshare(CLONE_NEWNS) != 0) {
        return fail_errno("unshare(CLONE_NEWNS)");
    }
    // systemd makes / shared; without this our mounts would propagate to the host's peers.
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
        return fail_errno("make / private (MS_REC|MS_PRIVATE)");
    }
    return {};
}

std::string overlay_options(std::string_view lower, std::string_view upper, std::string_view work) {
    std::string options = "lowerdir=";
    append_escaped(options, lower);
    options += ",upperdir=";
    append_escaped(options, upper);
    options += ",workdir=";
    append_escaped(options, work);
    return options;
}

Result<void> mount_overlay(std::string const& lower, std::string const& upper,
                           std::string const& work, std::string const& target) {
    std::string const options = overlay_options(lower, upper, work);
    if (::mount("overlay", target.c_str(), "overlay", 0, options.c_str()) != 0) {
        return fail_errno("mount overlay " + options + " on " + target);
    }
    return {};
}

} // namespace microvm::runner
