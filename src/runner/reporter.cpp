#include "runner/reporter.hpp"

#include <cstdio>

namespace microvm::runner {

Reporter::Reporter(std::string path, contract::Engine engine) : m_path(std::move(path)) {
    m_report.engine = engine;
}

void Reporter::amend(std::function<void(contract::RunnerReport&)> const& change) {
    std::lock_guard const lock(m_lock);
    change(m_report);
}

Result<void> Reporter::vmm_started() {
    std::lock_guard const lock(m_lock);
    m_report.vmm_started = true;
    if (m_path.empty()) {
        return {};
    }
    TRY_CTX(contract::write_runner_report(m_path, m_report), "write the runner's report");
    return {};
}

void Reporter::ended(int exit_code) {
    std::lock_guard const lock(m_lock);
    m_report.exit_code = exit_code;
    m_report.error.reset();
    write_final();
}

void Reporter::failed(std::string const& error) {
    std::lock_guard const lock(m_lock);
    m_report.exit_code.reset();
    m_report.error = error;
    // The runner's exit status is its own failure code, not the workload's.
    m_report.status_is_runner_exit = false;
    write_final();
}

void Reporter::exec_sessions_changed(std::size_t sessions) {
    std::lock_guard const lock(m_lock);
    m_report.exec_sessions = static_cast<std::uint32_t>(sessions);
    // Before the VMM is up there is no report to amend, and after the end none to change.
    if (m_report.vmm_started && !m_report.exit_code && !m_report.error) {
        write_final();
    }
}

void Reporter::egress_counters_changed(EgressCounters const& counters) {
    std::lock_guard const lock(m_lock);
    m_report.egress = counters;
    if (m_report.vmm_started && !m_report.exit_code && !m_report.error) {
        write_final();
    }
}

void Reporter::logs_dropped_changed(LogDrops const& dropped) {
    std::lock_guard const lock(m_lock);
    m_report.logs_dropped = dropped;
    if (m_report.vmm_started && !m_report.exit_code && !m_report.error) {
        write_final();
    }
}

void Reporter::write_final() {
    if (m_path.empty()) {
        return;
    }
    if (auto written = contract::write_runner_report(m_path, m_report); !written) {
        std::fprintf(stderr, "microvm-runner: write the runner's report: %s\n",
                     written.error().text().c_str());
    }
}

} // namespace microvm::runner
