// runner.json's result_path: how the VM ended, for the host to read after the runner exits,
// so it can tell a workload's status from the runner's own failure.
//   {"exit_code": N}   the workload ended with status N
//   {"error": "..."}   the runner failed; its exit status is a contract::RunnerExit code
// The libkrun engine can only write the second: on success libkrun exits the process itself
// from inside krun_start_enter, so no file means "the exit status is the workload's".
#pragma once

#include <string>

#include "base/error.hpp"

namespace microvm::runner {

// Each replaces the file atomically (a temporary beside it, then rename), mode 0600.
Result<void> write_result_exit_code(std::string const& path, int exit_code);
Result<void> write_result_error(std::string const& path, std::string const& message);

} // namespace microvm::runner
