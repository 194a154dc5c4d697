// Reading this process's environment.
#pragma once

#include <optional>
#include <string>

namespace microvm::base {

// The value of the environment variable `name`; std::nullopt when it is unset or empty (an
// empty value counts as unset, as the XDG base directory specification says for its variables).
std::optional<std::string> environment_variable(char const* name);

} // namespace microvm::base
