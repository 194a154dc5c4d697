// Exit statuses that cross a process boundary.
#pragma once

namespace microvm::contract {

// microvm-runner's own statuses (DESIGN.md §4.2). Any other status is the workload's.
enum class RunnerExit : int {
    runtime_error = 1,  // anything else that went wrong while the VM ran
    start_failed = 2,   // the VM could not be started
    engine_init = 3,    // the engine could not be initialised (library, qemu or kernel missing)
    config_error = 125, // runner.json missing, unparsable or invalid
};

// The CLI's statuses, as podman's; any other status is the workload's.
enum class CliExit : int {
    microvm_error = 125,  // microvm itself failed
    not_executable = 126, // the workload's command exists but cannot be executed
    not_found = 127,      // the workload's command was not found
};

constexpr int to_int(RunnerExit code) {
    return static_cast<int>(code);
}
constexpr int to_int(CliExit code) {
    return static_cast<int>(code);
}

} // namespace microvm::contract
