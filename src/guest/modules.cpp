#include "guest/modules.hpp"

#include <fcntl.h>
#include <linux/module.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "base/fd.hpp"
#include "guest/console.hpp"
#include "guest/files.hpp"

namespace microvm::guest {
namespace {

std::string_view trim(std::string_view text) {
    auto const first = text.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) {
        return {};
    }
    auto const last = text.find_last_not_of(" \t\r");
    return text.substr(first, last - first + 1);
}

bool is_compressed(std::string_view name) {
    return name.ends_with(".xz") || name.ends_with(".zst") || name.ends_with(".gz");
}

} // namespace

Result<std::vector<std::string>> parse_module_list(std::string_view text) {
    std::vector<std::string> names;
    int line_number = 0;
    while (!text.empty()) {
        ++line_number;
        auto const end = text.find('\n');
        std::string_view const line = trim(text.substr(0, end));
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        if (line.empty() || line.front() == '#') {
            continue;
        }
        if (line.find('/') != std::string_view::npos || line == "." || line == "..") {
            return fail("line " + std::to_string(line_number) + ": \"" + std::string(line) +
                        "\" is not a module file name");
        }
        names.emplace_back(line);
    }
    return names;
}

Result<void> load_modules(std::string const& dir, std::vector<std::string> const& names) {
    for (std::string const& name : names) {
        std::string const path = dir + "/" + name;
        base::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd) {
            return fail_errno("open module " + path);
        }
        int const flags = is_compressed(name) ? MODULE_INIT_COMPRESSED_FILE : 0;
        if (::syscall(SYS_finit_module, fd.get(), "", flags) != 0 && errno != EEXIST) {
            return fail_errno("finit_module " + path);
        }
        trace("loaded " + name);
    }
    return {};
}

Result<void> load_listed_modules(std::string const& list_path, std::string const& dir) {
    auto const text = TRY(read_optional_file(list_path));
    if (!text) {
        return {};
    }
    auto const names = TRY_CTX(parse_module_list(*text), list_path);
    return load_modules(dir, names);
}

} // namespace microvm::guest
