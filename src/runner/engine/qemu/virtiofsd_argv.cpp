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
    if (launch.capabilities.flavor == VirtiofsdFlavor::rust) {
        std::vector<std::string> argv = {
            launch.binary, fd, "--shared-dir=" + launch.source, "--cache=" + launch.cache,
            "--log-level=" + (launch.log_level == "err" ? std::string("error") : launch.log_level)};
        if (launch.read_only) {
            argv.push_back("--readonly");
        }
        return argv;
    }
    return {launch.binary, fd,
            "-o",          "source=" + escape_fuse_option(launch.source),
            "-o",          "cache=" + launch.cache,
            "-o",          "log_level=" + launch.log_level};
}

} // namespace microvm::runner::qemu
