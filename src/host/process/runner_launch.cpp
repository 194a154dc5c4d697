#include "host/process/runner_launch.hpp"

#include "base/safe_file.hpp"
#include "host/process/spawn.hpp"

namespace microvm::process {

Result<std::unique_ptr<RunnerProcessHandle>> launch_runner(contract::RunnerConfig const& config,
                                                           LaunchOptions const& options) {
    auto const context = "launch runner in " + options.vm_dir.string();
    // The VM directory is ours, but written through the safe-file layer anyway: the write is
    // atomic with an exact mode, and a planted symlink at runner.json is replaced, not followed.
    auto dir = TRY_CTX(base::open_root(options.vm_dir), context);
    TRY_CTX(base::write_file_in_root(dir, runner_config_file, contract::serialize(config), 0600),
            context);
    auto runner = TRY_CTX(spawn_runner(SpawnOptions{
                              .runner = options.runner,
                              .config_path = options.vm_dir / runner_config_file,
                              .log_path = options.vm_dir / runner_log_file,
                              .env = options.env,
                              .held_lock_fd = options.held_lock_fd,
                          }),
                          context);
    return std::make_unique<RunnerProcessHandle>(std::move(runner));
}

} // namespace microvm::process
