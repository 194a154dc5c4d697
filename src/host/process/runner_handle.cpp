#include "host/process/runner_handle.hpp"

#include <spdlog/spdlog.h>

#include "host/process/stop.hpp"

namespace microvm::process {

RunnerProcessHandle::RunnerProcessHandle(SpawnedRunner runner)
    : m_identity(std::move(runner.identity)), m_child(std::move(runner.child)) {}

RunnerProcessHandle::RunnerProcessHandle(ProcessIdentity identity)
    : m_identity(std::move(identity)) {}

RunnerProcessHandle::~RunnerProcessHandle() {
    if (m_child && m_child->owned()) {
        // A runner that has already exited is reaped; a running one is left to run, and
        // reaped in the background once it exits.
        if (auto reaped = m_child->try_wait(); !reaped || !*reaped) {
            (void)m_child->reap_in_background(); // the pid is in m_identity already
        }
    }
}

Result<void> RunnerProcessHandle::stop(std::chrono::seconds timeout) {
    if (m_exit) {
        return {};
    }
    auto outcome = TRY(process::stop(m_identity, timeout));
    spdlog::debug("runner pid {}: {}", m_identity.pid, to_string(outcome));
    if (!m_child || !m_child->owned()) {
        return {};
    }
    auto const context = "stop runner pid " + std::to_string(m_identity.pid);
    if (outcome != StopOutcome::not_running) {
        TRY_CTX(reap(), context);
        return {};
    }
    // Not running: it has exited (reap it now), or it is no longer the runner it was, which
    // must not block stop().
    auto reaped = TRY_CTX(m_child->try_wait(), context);
    if (reaped) {
        m_exit = *reaped;
    }
    return {};
}

bool RunnerProcessHandle::alive() const {
    return !m_exit && process::alive(m_identity);
}

std::string RunnerProcessHandle::id() const {
    return std::to_string(m_identity.pid);
}

Result<int> RunnerProcessHandle::wait() {
    if (m_exit) {
        return m_exit->code();
    }
    if (m_child && m_child->owned()) {
        return reap();
    }
    TRY(wait_for_exit(m_identity));
    return fail("runner pid " + std::to_string(m_identity.pid) +
                " was started by another process; its exit status is unknown");
}

Result<int> RunnerProcessHandle::reap() {
    m_exit = TRY(m_child->wait());
    return m_exit->code();
}

} // namespace microvm::process
