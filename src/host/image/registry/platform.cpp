#include "host/image/registry/platform.hpp"

#include <sys/utsname.h>

#include <vector>

namespace microvm::image {

namespace {

std::string normalise_architecture(std::string_view arch) {
    if (arch == "x86_64" || arch == "x86-64") {
        return "amd64";
    }
    if (arch == "aarch64") {
        return "arm64";
    }
    if (arch == "i386" || arch == "i686") {
        return "386";
    }
    if (arch.starts_with("armv") || arch == "armhf" || arch == "armel") {
        return "arm";
    }
    return std::string(arch);
}

std::string normalise_variant(std::string_view arch, std::string_view variant) {
    // arm64 has one variant; images label it either way.
    if (arch == "arm64" && variant == "v8") {
        return "";
    }
    return std::string(variant);
}

} // namespace

std::string Platform::to_string() const {
    std::string text = os + "/" + architecture;
    if (!variant.empty()) {
        text += "/" + variant;
    }
    return text;
}

Result<Platform> parse_platform(std::string_view text) {
    std::vector<std::string_view> fields;
    std::string_view rest = text;
    while (true) {
        auto slash = rest.find('/');
        fields.push_back(rest.substr(0, slash));
        if (slash == std::string_view::npos) {
            break;
        }
        rest.remove_prefix(slash + 1);
    }
    auto const quoted = "\"" + std::string(text) + "\"";
    if (fields.size() < 2 || fields.size() > 3) {
        return fail("invalid platform " + quoted + ": expected os/arch[/variant]");
    }
    for (auto field : fields) {
        if (field.empty()) {
            return fail("invalid platform " + quoted + ": empty field");
        }
    }
    Platform platform{std::string(fields[0]), normalise_architecture(fields[1]),
                      fields.size() == 3 ? std::string(fields[2]) : std::string()};
    return platform;
}

Platform host_platform() {
    struct utsname uts {};
    std::string machine = ::uname(&uts) == 0 ? uts.machine : "x86_64";
    Platform platform{"linux", normalise_architecture(machine), ""};
    if (machine.starts_with("armv7")) {
        platform.variant = "v7";
    } else if (machine.starts_with("armv6")) {
        platform.variant = "v6";
    }
    return platform;
}

bool platform_matches(Platform const& wanted, Platform const& offered) {
    if (wanted.os != offered.os ||
        wanted.architecture != normalise_architecture(offered.architecture)) {
        return false;
    }
    if (wanted.variant.empty()) {
        return true;
    }
    return normalise_variant(wanted.architecture, wanted.variant) ==
           normalise_variant(wanted.architecture, offered.variant);
}

} // namespace microvm::image
