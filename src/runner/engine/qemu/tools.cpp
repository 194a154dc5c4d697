#include "runner/engine/qemu/tools.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace microvm::runner::qemu {

namespace {

bool is_executable_file(std::string const& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
           ::access(path.c_str(), X_OK) == 0;
}

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

Result<std::string> find_executable(std::string const& name, std::string_view search_path) {
    if (name.empty()) {
        return fail("empty program name");
    }
    if (name.find('/') != std::string::npos) {
        return absolute(name);
    }
    while (!search_path.empty()) {
        std::size_t const end = search_path.find(':');
        std::string_view const dir = search_path.substr(0, end);
        search_path =
            end == std::string_view::npos ? std::string_view() : search_path.substr(end + 1);
        if (dir.empty()) {
            continue;
        }
        std::string candidate = std::string(dir) + "/" + name;
        if (is_executable_file(candidate)) {
            return absolute(candidate);
        }
    }
    return fail(name + " not found in PATH");
}

Result<QemuTools> resolve_tools(contract::QemuSettings const& settings) {
    char const* path_env = std::getenv("PATH");
    QemuTools tools;
    tools.qemu = TRY_CTX(
        find_executable(settings.binary, path_env ? path_env : "/usr/local/bin:/usr/bin:/bin"),
        "qemu.binary");
    TRY(check_file("qemu.binary", tools.qemu, true));
    tools.kernel = absolute(settings.kernel);
    TRY(check_file("qemu.kernel", settings.kernel, false));
    tools.initrd = absolute(settings.initrd);
    TRY(check_file("qemu.initrd", settings.initrd, false));
    tools.virtiofsd = absolute(settings.virtiofsd);
    TRY(check_file("qemu.virtiofsd", settings.virtiofsd, true));
    return tools;
}

} // namespace microvm::runner::qemu
