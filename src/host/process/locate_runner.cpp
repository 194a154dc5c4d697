#include "host/process/locate_runner.hpp"

#include <unistd.h>

#include <cstdlib>
#include <system_error>

namespace microvm::process {

namespace {

bool executable_file(std::filesystem::path const& path) {
    std::error_code ec;
    return std::filesystem::is_regular_file(path, ec) && ::access(path.c_str(), X_OK) == 0;
}

Result<std::filesystem::path> resolved(std::filesystem::path const& path) {
    std::error_code ec;
    auto real = std::filesystem::canonical(path, ec);
    if (ec) {
        return fail_errno("resolve " + path.string(), ec.value());
    }
    return real;
}

Result<std::filesystem::path> self_exe(RunnerSearch const& search) {
    if (search.self_exe) {
        return *search.self_exe;
    }
    std::error_code ec;
    auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) {
        return fail_errno("readlink /proc/self/exe", ec.value());
    }
    return exe;
}

std::optional<std::filesystem::path> search_path(std::string const& path_env) {
    std::size_t start = 0;
    while (start <= path_env.size()) {
        std::size_t end = path_env.find(':', start);
        if (end == std::string::npos) {
            end = path_env.size();
        }
        std::string dir = path_env.substr(start, end - start);
        // An empty entry means the working directory; a runner must not come from wherever the
        // caller happens to stand, and neither may a relative entry.
        if (!dir.empty() && dir.front() == '/') {
            auto candidate = std::filesystem::path(dir) / runner_binary_name;
            if (executable_file(candidate)) {
                return candidate;
            }
        }
        start = end + 1;
    }
    return std::nullopt;
}

} // namespace

Result<std::filesystem::path> locate_runner(RunnerSearch const& search) {
    if (!search.explicit_path.empty()) {
        std::error_code ec;
        auto const path = std::filesystem::absolute(search.explicit_path, ec);
        if (ec) {
            return fail_errno("explicit runner path " + search.explicit_path.string(), ec.value());
        }
        if (!std::filesystem::exists(path, ec)) {
            return fail("explicit runner path not found: " + path.string());
        }
        if (!executable_file(path)) {
            return fail("explicit runner path is not an executable file: " + path.string());
        }
        return resolved(path);
    }
    auto exe = TRY_CTX(self_exe(search), "locate " + std::string(runner_binary_name));
    auto beside = exe.parent_path() / runner_binary_name;
    if (executable_file(beside)) {
        return resolved(beside);
    }
    std::string path_env;
    if (search.path_env) {
        path_env = *search.path_env;
    } else if (char const* value = std::getenv("PATH")) {
        path_env = value;
    }
    if (auto found = search_path(path_env)) {
        return resolved(*found);
    }
    return fail(std::string(runner_binary_name) + " not found next to " + exe.string() +
                " or in PATH; build it or pass its path explicitly");
}

} // namespace microvm::process
