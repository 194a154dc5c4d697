#include "contract/runner_report.hpp"
#include "host/microvm/vm_impl.hpp"
#include "host/state/vm_dir.hpp"

namespace microvm {

namespace {

// The runner left no verdict: it died before it could write one (killed, the host went down).
// Its log is for the user to read; microvm does not interpret it.
Result<int> no_report(std::optional<int> runner_status, std::filesystem::path const& vm_dir) {
    std::string const ended = runner_status ? "microvm-runner ended with status " +
                                                  std::to_string(*runner_status) +
                                                  " without reporting a result"
                                            : "microvm-runner ended without reporting a result "
                                              "(killed, or the host went down)";
    return fail(ended + "; see " + state::VmDir(vm_dir).runner_log().string());
}

} // namespace

Result<int> interpret_runner_exit(std::optional<int> runner_status,
                                  std::filesystem::path const& vm_dir) {
    return interpret_report(
        contract::read_runner_report(state::VmDir(vm_dir).runner_report().string()), runner_status,
        vm_dir);
}

Result<int> interpret_report(RunnerReportRead const& report, std::optional<int> runner_status,
                             std::filesystem::path const& vm_dir) {
    if (!report) {
        return std::unexpected(Error(report.error()).context("the runner's report"));
    }
    if (!*report) {
        return no_report(runner_status, vm_dir);
    }
    auto const& said = **report;
    if (said.exit_code) {
        return *said.exit_code;
    }
    if (said.error) {
        return fail(*said.error);
    }
    if (said.status_is_runner_exit) {
        if (runner_status) {
            return *runner_status;
        }
        return fail("the VM's workload status went to the process that started its runner (the "
                    "libkrun engine's VMM ends the runner with it and reports nothing after)");
    }
    return no_report(runner_status, vm_dir);
}

} // namespace microvm
