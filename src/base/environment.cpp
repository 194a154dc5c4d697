#include "base/environment.hpp"

#include <cstdlib>

namespace microvm::base {

std::optional<std::string> environment_variable(char const* name) {
    char const* value = std::getenv(name);
    if (value == nullptr || *value == '\0') {
        return std::nullopt;
    }
    return std::string(value);
}

} // namespace microvm::base
