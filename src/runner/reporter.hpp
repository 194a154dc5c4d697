// The runner's side of its report (contract/runner_report.hpp): what the engine learned while
// starting the VM, written to runner.json's report_path when the VMM is up and again when the
// runner ends. With no report_path nothing is written (a runner started by hand).
#pragma once

#include <functional>
#include <mutex>
#include <string>

#include "base/error.hpp"
#include "contract/runner_report.hpp"

namespace microvm::runner {

class Reporter {
public:
    Reporter(std::string path, contract::Engine engine);

    // Lets `change` fill in what the engine found out (kernel, accelerator, shares) before it
    // calls vmm_started(), under the lock the relay and network threads write under.
    void amend(std::function<void(contract::RunnerReport&)> const& change);

    // Records that the VMM is up and writes the report. A report that cannot be written is an
    // error: the host would not learn what protects the shares.
    Result<void> vmm_started();

    // Writes the final report: the workload's `exit_code`, or the runner's own `error`. A
    // failure to write is printed to stderr (the runner is ending; there is no one else to
    // tell).
    void ended(int exit_code);
    void failed(std::string const& error);

    // Records the number of connected exec sessions and rewrites the report (from the exec
    // relay's thread; a failure to write is printed and otherwise ignored: it is a count).
    void exec_sessions_changed(std::size_t sessions);
    // The same for the egress policy's counters (from the network's thread).
    void egress_counters_changed(EgressCounters const& counters);
    // The same for what the capped logs dropped (from the output logs' thread).
    void logs_dropped_changed(LogDrops const& dropped);

private:
    void write_final();

    std::string m_path;
    // The exec relay's and the egress network's threads write too.
    std::mutex m_lock;
    contract::RunnerReport m_report;
};

} // namespace microvm::runner
