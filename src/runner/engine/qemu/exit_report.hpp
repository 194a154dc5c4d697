// Reading the workload's exit status that microvm-init reports on the status port.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace microvm::runner::qemu {

// Reads the status file qemu wrote and parses it (contract/status_line.hpp). A missing file
// counts as no report.
Result<std::optional<int>> read_exit_report(std::string const& path);

} // namespace microvm::runner::qemu
