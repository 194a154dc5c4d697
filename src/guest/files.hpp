// Reading the few small files microvm-init needs.
#pragma once

#include <optional>
#include <string>

#include "base/error.hpp"

namespace microvm::guest {

// The whole content of `path`; nullopt when it does not exist.
Result<std::optional<std::string>> read_optional_file(std::string const& path);

// The whole content of `relative` inside the directory tree `root`, resolved with
// openat2(RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS): a symlink anywhere on the way (the image may
// plant etc/microvm.json -> /init) is an error, never followed. nullopt when it does not exist.
Result<std::optional<std::string>> read_optional_file_in_root(std::string const& root,
                                                              std::string const& relative);

} // namespace microvm::guest
