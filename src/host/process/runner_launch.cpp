#include "host/process/runner_launch.hpp"

#include "base/safe_file.hpp"
#include "host/process/spawn.hpp"
#include "host/state/vm_dir.hpp"

namespace microvm::process {

Result<std::string> prepare_runtime_dir(std::filesystem::path const& vm_dir) {
    std::string const path = state::VmDir(vm_dir).runtime_dir().string();
    if (path.size() > contract::max_runtime_dir_length) {
        // A deep data directory (the VM name alone may take 64 bytes) leaves no room for the
        // sockets' names within a unix socket address. The engine then uses a directory under
        // /tmp instead, which a runner killed with SIGKILL leaves behind.
        return std::string();
    }
    auto const context = "create runtime directory " + path;
    // Through the safe-file layer: a symlink planted at `run` is refused, not followed.
    auto dir = TRY_CTX(base::open_root(vm_dir), context);
    TRY_CTX(base::mkdirs_no_follow(dir, state::VmDir::runtime_dir_name, 0700), context);
    return path;
}

Result<std::unique_ptr<RunnerProcessHandle>> launch_runner(contract::RunnerConfig config,
                                                           LaunchOptions const& options) {
    state::VmDir const vm_dir(options.vm_dir);
    config.runtime_dir = TRY(prepare_runtime_dir(vm_dir.path()));
    TRY(contract::validate(config));
    // The VM directory is ours, but written through the safe-file layer anyway: the write is
    // atomic with an exact mode, and a planted symlink at runner.json is replaced, not followed.
    auto const context = "write " + vm_dir.runner_config().string();
    auto dir = TRY_CTX(base::open_root(vm_dir.path()), context);
    TRY_CTX(base::write_file_in_root(dir, state::VmDir::runner_config_name,
                                     contract::serialize(config), 0600),
            context);
    auto runner = TRY_CTX(spawn_runner(SpawnOptions{
                              .runner = options.runner,
                              .config_path = vm_dir.runner_config(),
                              .log_path = vm_dir.runner_log(),
                              .env = options.env,
                              .held_lock_fd = options.held_lock_fd,
                          }),
                          "start " + options.runner.string());
    return std::make_unique<RunnerProcessHandle>(std::move(runner));
}

} // namespace microvm::process
