// Reading the few small files microvm-init needs.
#pragma once

#include <optional>
#include <string>

#include "base/error.hpp"

namespace microvm::guest {

// The whole content of `path`; nullopt when it does not exist.
Result<std::optional<std::string>> read_optional_file(std::string const& path);

} // namespace microvm::guest
