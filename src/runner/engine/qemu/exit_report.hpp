// Reading the workload's exit status that microvm-init reports on the status port.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace microvm::runner::qemu {

// The status in the last "exit=<N>" line with N in 0..255; nullopt when there is none.
std::optional<int> parse_exit_report(std::string_view text);

// Reads the status file qemu wrote and parses it. A missing file counts as no report.
Result<std::optional<int>> read_exit_report(std::string const& path);

} // namespace microvm::runner::qemu
