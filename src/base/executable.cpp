#include "base/executable.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace microvm::base {

namespace {

bool is_executable_file(std::string const& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
           ::access(path.c_str(), X_OK) == 0;
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

std::string executable_search_path() {
    char const* path_env = std::getenv("PATH");
    return path_env != nullptr ? path_env : "/usr/local/bin:/usr/bin:/bin";
}

} // namespace microvm::base
