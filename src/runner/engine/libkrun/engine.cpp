// The libkrun engine: the VMM runs inside this process. Every check that can refuse the
// config runs before the first krun_* call; then the context is built in the order libkrun
// expects and krun_start_enter hands the process over to the VM for good. The guest's first
// program is microvm-init (guest_init.hpp), so shares are mounted as on qemu.
//
// Exit statuses (DESIGN.md §4.2): 125 for a config this engine or library cannot honour
// (more than 255 vCPUs, an unenforceable read-only share under "require-host", or under any
// policy without microvm-init, UDP or unsupported forwards); 3 when the library cannot be
// loaded or krun_create_ctx fails; 2 when the root overlay cannot be mounted, microvm-init is
// not in the root, or krun_start_enter returns; 1 when any other krun_* call fails. On success
// the process never returns here and exits with the workload's status, which microvm-init
// hands to libkrun (guest/libkrun_boot.hpp).
#include <spdlog/spdlog.h>

#include <cstdio>

#include "runner/engine/engines.hpp"
#include "runner/engine/libkrun/console.hpp"
#include "runner/engine/libkrun/exec_channel.hpp"
#include "runner/engine/libkrun/guest_init.hpp"
#include "runner/engine/libkrun/library.hpp"
#include "runner/engine/libkrun/machine.hpp"
#include "runner/engine/libkrun/network.hpp"
#include "runner/engine/libkrun/root.hpp"
#include "runner/engine/libkrun/shares.hpp"
#include "runner/reporter.hpp"

namespace microvm::runner::libkrun {

namespace {

using contract::RunnerExit;

Step<void> run_vm(contract::RunnerConfig const& config, Reporter& reporter) {
    TRY(check_machine(config));
    Library const library = TRY(Library::open(config.libkrun.library));
    KrunApi const& krun = library.api();
    auto const shares = TRY(plan_shares(config, krun));
    auto const network = TRY(plan_network(config, krun));
    TRY(prepare_root(config));
    TRY(check_guest_init(config));

    TRY(set_log_level(krun, config.log_level));
    std::uint32_t const ctx = TRY(create_ctx(krun));
    TRY(configure_machine(krun, ctx, config));
    TRY(set_guest_init(krun, ctx, config));
    TRY(add_network(krun, ctx, network));
    // Lives on in this process once krun_start_enter has taken it over, like libkrun's threads.
    auto const exec =
        TRY(serve_exec(config, krun, ctx, network.kind == NetworkPlan::Kind::no_network, reporter));
    TRY(add_shares(krun, ctx, shares));
    TRY(set_console_output(krun, ctx, config));
    TRY(redirect_output(config));

    // Last, since from here on the runner's exit status is the workload's; a start_enter that
    // returns replaces this report with the error.
    reporter.amend([&](contract::RunnerReport& report) {
        // libkrun runs the guest under KVM on Linux; it has no other accelerator.
        report.accelerator = "kvm";
        for (auto const& share : shares) {
            report.shares.push_back({.tag = share.tag,
                                     .read_only = share.read_only,
                                     .host_enforced = share.host_enforced});
        }
        report.status_is_runner_exit = true;
    });
    TRY(as_step(reporter.vmm_started(), RunnerExit::runtime_error));
    spdlog::debug("krun_start_enter({})", ctx);
    int32_t const ret = krun.start_enter(ctx);
    reporter.amend([](contract::RunnerReport& report) { report.vmm_started = false; });
    // Returning at all means the VM did not start.
    if (ret < 0) {
        return failure(RunnerExit::start_failed, Error::from_errno("krun_start_enter", -ret));
    }
    return failure(RunnerExit::start_failed,
                   "krun_start_enter returned " + std::to_string(ret) + " without running the VM");
}

} // namespace

int run(contract::RunnerConfig const& config) {
    Reporter reporter(config.report_path, contract::Engine::libkrun);
    auto result = run_vm(config, reporter);
    if (result) {
        // Unreachable: success ends the process inside krun_start_enter.
        return contract::to_int(RunnerExit::start_failed);
    }
    std::string const message = "libkrun: " + result.error().error.text();
    std::fprintf(stderr, "microvm-runner: %s\n", message.c_str());
    reporter.failed(message);
    return contract::to_int(result.error().exit);
}

} // namespace microvm::runner::libkrun
