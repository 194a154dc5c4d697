// runner.json's result_path: how the VM ended, for the host to read after the runner exits,
// so it can tell a workload's status from the runner's own failure.
//   {"exit_code": N}   the workload ended with status N
//   {"error": "..."}   the runner failed; its exit status is a contract::RunnerExit code
//   {"started": true}  the VM was handed to a VMM that ends the runner process itself with the
//                      workload's status (libkrun exits from inside krun_start_enter), so the
//                      runner's exit status is the workload's
// No file at all means the runner died before it could say anything.
#pragma once

#include <string>

#include "base/error.hpp"

namespace microvm::runner {

// Each replaces the file atomically (a temporary beside it, then rename), mode 0600.
Result<void> write_result_exit_code(std::string const& path, int exit_code);
Result<void> write_result_error(std::string const& path, std::string const& message);
Result<void> write_result_started(std::string const& path);

} // namespace microvm::runner
