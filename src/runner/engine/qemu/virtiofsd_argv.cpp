#include "runner/engine/qemu/virtiofsd_argv.hpp"

namespace microvm::runner::qemu {

VirtiofsdCapabilities parse_virtiofsd_help(std::string_view help) {
    VirtiofsdCapabilities capabilities;
    if (help.find("--shared-dir") != std::string_view::npos) {
        capabilities.flavor = VirtiofsdFlavor::rust;
        capabilities.read_only = help.find("--readonly") != std::string_view::npos;
    }
    return capabilities;
}

std::string escape_fuse_option(std::string_view value) {
    std::string escaped;
    for (char c : value) {
        if (c == ',' || c == '\\') {
            escaped += '\\';
        }
        escaped += c;
    }
    return escaped;
}

std::vector<std::string> virtiofsd_argv(VirtiofsdLaunch const& launch) {
    std::string const fd = "--fd=" + std::to_string(launch.listen_fd);
    // "-mknod:-setfcap": the syntax both daemons share.
    std::string modcaps;
    for (auto const& capability : launch.drop_capabilities) {
        modcaps += (modcaps.empty() ? "-" : ":-") + capability;
    }
    // Extended attributes are served on every share: file capabilities, ACLs and labels in an
    // image's root work as they do under podman, and a user share's user.* attributes are kept;
    // what a read-write share refuses is privilege_filter.hpp's business.
    if (launch.capabilities.flavor == VirtiofsdFlavor::rust) {
        std::vector<std::string> argv = {
            launch.binary,
            fd,
            "--shared-dir=" + launch.source,
            "--cache=" + launch.cache,
            "--log-level=" + (launch.log_level == "err" ? std::string("error") : launch.log_level),
            "--xattr"};
        if (!modcaps.empty()) {
            argv.push_back("--modcaps=" + modcaps);
        }
        if (launch.read_only) {
            argv.push_back("--readonly");
        }
        return argv;
    }
    std::vector<std::string> argv = {launch.binary, fd,
                                     "-o",          "source=" + escape_fuse_option(launch.source),
                                     "-o",          "cache=" + launch.cache,
                                     "-o",          "log_level=" + launch.log_level,
                                     "-o",          "xattr"};
    if (!modcaps.empty()) {
        argv.insert(argv.end(), {"-o", "modcaps=" + modcaps});
    }
    return argv;
}

} // namespace microvm::runner::qemu
