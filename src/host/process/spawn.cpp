#include "host/process/spawn.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>

#include "base/command.hpp"
#include "base/fd.hpp"
#include "contract/runner_config.hpp"

extern char** environ;

namespace microvm::process {

namespace {

// Resolves symlinks, as the kernel does for /proc/PID/exe.
Result<std::filesystem::path> canonical_runner(std::filesystem::path const& runner) {
    if (!runner.is_absolute()) {
        return fail("runner path is not absolute: " + runner.string());
    }
    std::unique_ptr<char, decltype(&std::free)> real(::realpath(runner.c_str(), nullptr),
                                                     &std::free);
    if (!real) {
        return fail_errno("resolve runner path " + runner.string());
    }
    if (::access(real.get(), X_OK) != 0) {
        return fail_errno("runner " + runner.string() + " is not executable");
    }
    return std::filesystem::path(real.get());
}

Result<base::Fd> open_log(std::filesystem::path const& path) {
    // O_NOFOLLOW: the log lives in the VM's private directory; a symlink there is not ours.
    base::Fd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) {
        return fail_errno("open log " + path.string());
    }
    // An existing file keeps its mode through O_CREAT, so make it private explicitly.
    if (::fchmod(fd.get(), 0600) != 0) {
        return fail_errno("chmod 0600 " + path.string());
    }
    return fd;
}

} // namespace

Result<SpawnedRunner> spawn_runner(SpawnOptions const& options) {
    auto const context = "spawn runner " + options.runner.string();
    auto exe = TRY_CTX(canonical_runner(options.runner), context);
    auto log = TRY_CTX(open_log(options.log_path), context);
    std::vector<base::FdMapping> fds = {{log.get(), STDOUT_FILENO}, {log.get(), STDERR_FILENO}};
    std::vector<std::string> env = options.env;
    if (options.held_lock_fd >= 0) {
        fds.push_back({options.held_lock_fd, contract::runner_held_fd});
        env.push_back(std::string(contract::runner_held_fd_env) + "=" +
                      std::to_string(contract::runner_held_fd));
    }
    // base::spawn returns only after the exec succeeded or failed, so a missing library or a bad
    // ELF is reported here and /proc/PID/exe is the runner from now on.
    base::Child child = TRY_CTX(base::spawn({
                                    .path = exe.string(),
                                    .argv = {exe.string(), options.config_path.string()},
                                    .fds = fds,
                                    .death_signal = 0,
                                    .before_exec = {},
                                    .session = base::Session::new_session,
                                    .env = env,
                                }),
                                context);
    auto identity = capture_identity(child.pid(), exe);
    if (!identity) {
        // Not expected (the child is ours and unreaped); the child is killed as it goes.
        return std::unexpected(std::move(identity.error()).context(context));
    }
    return SpawnedRunner{.child = std::move(child), .identity = std::move(*identity)};
}

std::vector<std::string> current_environment() {
    std::vector<std::string> result;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        result.emplace_back(*entry);
    }
    return result;
}

} // namespace microvm::process
