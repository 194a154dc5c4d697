// Reading the few small files microvm-init needs, and /dev/null for what has no stdio.
#pragma once

#include <optional>
#include <string>

#include "base/error.hpp"
#include "base/fd.hpp"

namespace microvm::guest {

// The whole content of `path`; nullopt when it does not exist.
Result<std::optional<std::string>> read_optional_file(std::string const& path);

// /dev/null, read-write and close-on-exec: the stdin of a workload nobody attaches to, all
// three stdio of a detached exec.
Result<base::Fd> open_dev_null();

} // namespace microvm::guest
