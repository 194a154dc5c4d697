// Finding a program the way execvp would, once, so that children are then started by absolute
// path only. Shared by the runner (qemu, virtiofsd) and the host's preflight, which checks
// before boot that the same lookup will succeed.
#pragma once

#include <string>
#include <string_view>

#include "base/error.hpp"

namespace microvm::base {

// `name` itself (made absolute) when it contains a slash, else the first executable regular
// file of that name in the colon-separated `search_path` (empty entries are skipped). Fails
// with "<name> not found in PATH".
Result<std::string> find_executable(std::string const& name, std::string_view search_path);

// $PATH, or a conventional default when it is unset.
std::string executable_search_path();

} // namespace microvm::base
