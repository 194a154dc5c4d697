#include "runner/engine/qemu/tools.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

namespace microvm::runner::qemu {

namespace {

Result<void> check_file(char const* setting, std::string const& path, bool executable) {
    if (path.empty()) {
        return fail(std::string(setting) + " is required");
    }
    struct stat st;
    if (::stat(path.c_str(), &st) < 0) {
        return fail_errno(std::string(setting) + " not found: " + path);
    }
    if (!S_ISREG(st.st_mode)) {
        return fail(std::string(setting) + " is not a regular file: " + path);
    }
    if (::access(path.c_str(), executable ? X_OK : R_OK) < 0) {
        return fail_errno(std::string(setting) + " is not " +
                          (executable ? "executable" : "readable") + ": " + path);
    }
    return {};
}

std::string absolute(std::string const& path) {
    std::error_code ignored;
    auto const result = std::filesystem::absolute(path, ignored);
    return result.empty() ? path : result.lexically_normal().string();
}

} // namespace

std::string find_qboot(std::string const& qemu) {
    auto const prefix = std::filesystem::path(qemu).parent_path().parent_path();
    auto const rom = prefix / "share" / "qemu" / "qboot.rom";
    struct stat st;
    if (::stat(rom.c_str(), &st) < 0 || !S_ISREG(st.st_mode) || ::access(rom.c_str(), R_OK) < 0) {
        return {};
    }
    return rom.string();
}

Result<QemuTools> resolve_tools(contract::QemuSettings const& settings) {
    QemuTools tools;
    tools.qemu =
        TRY_CTX(find_executable(settings.binary, base::executable_search_path()), "qemu.binary");
    TRY(check_file("qemu.binary", tools.qemu, true));
    tools.kernel = absolute(settings.kernel);
    TRY(check_file("qemu.kernel", settings.kernel, false));
    tools.initrd = absolute(settings.initrd);
    TRY(check_file("qemu.initrd", settings.initrd, false));
    tools.virtiofsd = absolute(settings.virtiofsd);
    TRY(check_file("qemu.virtiofsd", settings.virtiofsd, true));
    tools.firmware = find_qboot(tools.qemu);
    return tools;
}

} // namespace microvm::runner::qemu
