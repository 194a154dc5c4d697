#include "runner/engine/libkrun/console.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "base/fd.hpp"

namespace microvm::runner::libkrun {

namespace {

using contract::RunnerExit;

Step<void> redirect(std::string const& path, int target) {
    if (path.empty()) {
        return {};
    }
    base::Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
    if (!fd) {
        return failure(RunnerExit::runtime_error, Error::from_errno("open " + path));
    }
    // dup2 leaves the copy without O_CLOEXEC, as a standard stream must be.
    if (::dup2(fd.get(), target) < 0) {
        return failure(RunnerExit::runtime_error,
                       Error::from_errno("dup2 " + path + " onto fd " + std::to_string(target)));
    }
    return {};
}

} // namespace

Step<void> set_console_output(KrunApi const& krun, std::uint32_t ctx,
                              contract::RunnerConfig const& config) {
    if (config.console_log_path.empty()) {
        return {};
    }
    spdlog::debug("krun_set_console_output({}, {})", ctx, config.console_log_path);
    TRY(checked("krun_set_console_output " + config.console_log_path,
                krun.set_console_output(ctx, config.console_log_path.c_str())));
    return {};
}

Step<void> redirect_output(contract::RunnerConfig const& config) {
    TRY(redirect(config.stdout_path, STDOUT_FILENO));
    TRY(redirect(config.stderr_path, STDERR_FILENO));
    return {};
}

} // namespace microvm::runner::libkrun
