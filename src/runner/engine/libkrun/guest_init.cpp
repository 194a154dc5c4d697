#include "runner/engine/libkrun/guest_init.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include "base/safe_file.hpp"
#include "base/sys.hpp"
#include "contract/guest_protocol.hpp"

namespace microvm::runner::libkrun {

bool guest_runs_microvm_init(contract::RunnerConfig const& config) {
    return !config.libkrun.init.empty();
}

Step<void> check_guest_init(contract::RunnerConfig const& config) {
    if (!guest_runs_microvm_init(config)) {
        return {};
    }
    auto found = [&]() -> Result<void> {
        auto const root = TRY(base::open_root(config.root_path));
        auto const init = TRY(base::sys::openat2(root.get(), config.libkrun.init.substr(1), O_PATH,
                                                 0, RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS));
        auto const st = TRY(base::sys::fstat(init.get(), config.libkrun.init));
        if (!S_ISREG(st.st_mode) || (st.st_mode & S_IXUSR) == 0) {
            return fail("not an executable file");
        }
        return {};
    }();
    if (!found) {
        return failure(contract::RunnerExit::start_failed,
                       std::move(found.error())
                           .context("microvm-init " + config.libkrun.init + " in the root " +
                                    config.root_path));
    }
    return {};
}

Step<void> set_guest_init(KrunApi const& krun, std::uint32_t ctx,
                          contract::RunnerConfig const& config) {
    if (!guest_runs_microvm_init(config)) {
        spdlog::warn("runner.json names no libkrun.init: libkrun's own init runs the root's "
                     "/.krun_config.json and no share is mounted by the guest");
        return {};
    }
    char const* const argv[] = {contract::libkrun_init_flag, nullptr};
    char const* const envp[] = {nullptr};
    spdlog::debug("krun_set_exec({}, {}, [{}], [])", ctx, config.libkrun.init,
                  contract::libkrun_init_flag);
    TRY(checked("krun_set_exec " + config.libkrun.init,
                krun.set_exec(ctx, config.libkrun.init.c_str(), argv, envp)));
    return {};
}

} // namespace microvm::runner::libkrun
