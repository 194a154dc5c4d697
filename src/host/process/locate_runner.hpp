// Finding the microvm-runner binary.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "base/error.hpp"

namespace microvm::process {

inline constexpr char runner_binary_name[] = "microvm-runner";
// The static guest init, installed beside the runner so that an init never boots with a
// runner of another version.
inline constexpr char init_binary_name[] = "microvm-init";

struct RunnerSearch {
    // A runner the caller named; when set it must exist, and nothing else is tried.
    std::filesystem::path explicit_path;
    // The running executable, whose directory is searched first; std::nullopt: /proc/self/exe.
    std::optional<std::filesystem::path> self_exe = std::nullopt;
    // The directories to search next, as in $PATH; std::nullopt: this process's $PATH.
    std::optional<std::string> path_env = std::nullopt;
};

// The runner to start, absolute and with symlinks resolved (as /proc/PID/exe will show it).
// Looks at search.explicit_path, else next to the running executable (so an installed or
// freshly built microvm uses its own runner, not an older one on $PATH), else on $PATH.
// Fails when the explicit path does not exist or is not an executable file, or when no
// runner is found; the message says where it looked.
Result<std::filesystem::path> locate_runner(RunnerSearch const& search = {});

} // namespace microvm::process
