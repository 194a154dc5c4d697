// Splitting and joining the relative paths the safe-file layers resolve below a root.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace microvm::base {

// The components of `path`, without empty and "." ones ("/a//./b/" -> {"a", "b"}). ".." is
// kept: each caller decides whether it is an error or left to openat2 to refuse.
std::vector<std::string> path_components(std::string_view path);

// The first `count` components joined with "/" ("." when count is 0).
std::string join_components(std::vector<std::string> const& parts, std::size_t count);

} // namespace microvm::base
