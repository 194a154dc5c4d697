// The runner's own log (spdlog, on stderr). Errors and the read-only warning that users must
// see are printed directly; this log is for tracing what the runner does.
#pragma once

#include <cstdint>
#include <string_view>

namespace microvm::runner {

// Installs the default logger. `log_level` counts as libkrun does: 0 off, 1 error, 2 warn,
// 3 info, 4 debug, 5 trace.
void setup_logging(std::uint32_t log_level);

// Writes "microvm-runner: <message>" to stderr (runner.log) whatever the log level: for what
// the VM's owner must learn even from a quiet runner (a guest that broke a protocol, a feature
// this VM runs without). Callers keep such lines few.
void notice(std::string_view message);

} // namespace microvm::runner
