// The libkrun engine: the VMM runs inside this process. Every check that can refuse the
// config runs before the first krun_* call; then the context is built in the order libkrun
// expects and krun_start_enter hands the process over to the VM for good.
//
// Exit statuses (DESIGN.md §4.2): 125 for a config this engine or library cannot honour
// (more than 255 vCPUs, an unenforceable read-only share under "require-host", UDP or
// unsupported forwards); 3 when the library cannot be loaded or krun_create_ctx fails;
// 2 when the root overlay cannot be mounted or krun_start_enter returns; 1 when any other krun_*
// call fails. On success the process never returns here and exits with the workload's status.
#include <spdlog/spdlog.h>

#include <cstdio>

#include "runner/engine/engines.hpp"
#include "runner/engine/libkrun/console.hpp"
#include "runner/engine/libkrun/library.hpp"
#include "runner/engine/libkrun/machine.hpp"
#include "runner/engine/libkrun/network.hpp"
#include "runner/engine/libkrun/root.hpp"
#include "runner/engine/libkrun/shares.hpp"
#include "runner/result_file.hpp"

namespace microvm::runner::libkrun {

namespace {

using contract::RunnerExit;

Step<void> run_vm(contract::RunnerConfig const& config) {
    TRY(check_machine(config));
    Library const library = TRY(Library::open(config.libkrun.library));
    KrunApi const& krun = library.api();
    auto const shares = TRY(plan_shares(config, krun));
    auto const network = TRY(plan_network(config, krun));
    TRY(prepare_root(config));

    TRY(set_log_level(krun, config.log_level));
    std::uint32_t const ctx = TRY(create_ctx(krun));
    TRY(configure_machine(krun, ctx, config));
    TRY(add_network(krun, ctx, network));
    TRY(add_shares(krun, ctx, shares));
    TRY(set_console_output(krun, ctx, config));
    TRY(redirect_output(config));

    // Last, since from here on the runner's exit status is the workload's; a start_enter that
    // returns overwrites it with the error.
    if (!config.result_path.empty()) {
        TRY(as_step(write_result_started(config.result_path), RunnerExit::runtime_error));
    }
    spdlog::debug("krun_start_enter({})", ctx);
    int32_t const ret = krun.start_enter(ctx);
    // Returning at all means the VM did not start.
    if (ret < 0) {
        return failure(RunnerExit::start_failed, Error::from_errno("krun_start_enter", -ret));
    }
    return failure(RunnerExit::start_failed,
                   "krun_start_enter returned " + std::to_string(ret) + " without running the VM");
}

} // namespace

int run(contract::RunnerConfig const& config) {
    auto result = run_vm(config);
    if (result) {
        // Unreachable: success ends the process inside krun_start_enter.
        return contract::to_int(RunnerExit::start_failed);
    }
    std::string const message = "libkrun: " + result.error().error.text();
    std::fprintf(stderr, "microvm-runner: %s\n", message.c_str());
    if (!config.result_path.empty()) {
        if (auto written = write_result_error(config.result_path, message); !written) {
            std::fprintf(stderr, "microvm-runner: %s\n", written.error().text().c_str());
        }
    }
    return contract::to_int(result.error().exit);
}

} // namespace microvm::runner::libkrun
