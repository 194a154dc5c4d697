#include "base/path_parts.hpp"

namespace microvm::base {

std::vector<std::string> path_components(std::string_view path) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= path.size()) {
        std::size_t end = path.find('/', start);
        if (end == std::string_view::npos) {
            end = path.size();
        }
        std::string_view const part = path.substr(start, end - start);
        if (!part.empty() && part != ".") {
            out.emplace_back(part);
        }
        start = end + 1;
    }
    return out;
}

std::string join_components(std::vector<std::string> const& parts, std::size_t count) {
    std::string out;
    for (std::size_t i = 0; i < count; ++i) {
        if (i > 0) {
            out += '/';
        }
        out += parts[i];
    }
    return out.empty() ? "." : out;
}

} // namespace microvm::base
