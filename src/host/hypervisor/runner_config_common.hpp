// What every runner-based backend does the same way: the backend-neutral half of runner.json,
// the runner's runtime directory, and starting the runner. Each backend adds its engine's own
// section of runner.json.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "contract/runner_config.hpp"
#include "host/hypervisor/backend.hpp"
#include "host/hypervisor/vm_config.hpp"

namespace microvm::hypervisor {

// The runner.json for `config` run by `engine`, without the engine's section or runtime_dir:
// the view's source as root_path with its upper and work directories (the runner mounts the
// overlay), the machine's size, every share with its read_only flag unchanged (DESIGN.md §4.1),
// the ports, the console and output paths, the log level and the read-only policy.
// Pure: checks nothing; contract::validate() does that.
contract::RunnerConfig common_runner_config(VmConfig const& config, contract::Engine engine);

// The runner's runtime directory below the VM's directory.
inline constexpr char runtime_dir_name[] = "run";

// Creates <vm_dir>/run (0700; an existing one is kept) for the runner's sockets and status
// file, so that a runner killed with SIGKILL leaves them inside the VM's directory, and returns
// it for runner.json's runtime_dir. Returns "" when that path is too long for the engine's unix
// sockets (contract::max_runtime_dir_length): the engine then falls back to a temporary
// directory of its own. Fails when vm_dir does not exist or `run` in it is not a directory.
Result<std::string> prepare_runtime_dir(std::filesystem::path const& vm_dir);

// The step every runner-based backend ends with: gives `runner_config` the runtime directory
// of config.vm_dir, validates it, and starts `runner` (absolute) on it in config.vm_dir with
// `runner_env` as its environment (nullopt: this process's). Errors are not wrapped: the
// caller adds its context.
Result<std::unique_ptr<VmHandle>>
start_runner(contract::RunnerConfig runner_config, VmConfig const& config,
             std::filesystem::path const& runner,
             std::optional<std::vector<std::string>> const& runner_env);

} // namespace microvm::hypervisor
