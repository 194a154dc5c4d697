// What a microvm::Vm holds: the VM's paths and the handle of the process that runs it.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <microvm/microvm.hpp>

#include "contract/runner_report.hpp"
#include "host/image/store/file_lock.hpp"
#include "host/process/identity.hpp"
#include "host/process/runner_handle.hpp"

namespace microvm {

class Vm::Impl {
public:
    std::string name;
    std::filesystem::path vm_dir;
    std::filesystem::path rootfs;
    std::vector<PortForward> ports;
    // The runner; null for a VM opened while it was still being created (it has none yet).
    std::unique_ptr<process::RunnerProcessHandle> handle;
    // The runner's identity, to wait for a runner this process did not start.
    std::optional<process::ProcessIdentity> runner;
    // True when this process started the runner, so wait() reaps it and knows its status.
    bool runner_is_child = false;
    // RunOptions::auto_remove: the runner deletes vm_dir, result file included, as it ends.
    bool auto_remove = false;
    // An image's rootfs lock (shared), held while the VM may use the cached rootfs.
    std::optional<image::FileLock> rootfs_lock;
    // Set once wait() has an answer, so that later calls return it again.
    std::optional<Result<int>> outcome;
};

// Turns the runner's exit status (std::nullopt when this process did not start it and so
// cannot know it) and its result file into the VM's outcome: the workload's exit status, or an
// error saying why microvm could not run it.
Result<int> interpret_runner_exit(std::optional<int> runner_status,
                                  std::filesystem::path const& vm_dir);

// What contract::read_runner_report() gave: the report, none yet, or why it could not be read.
using RunnerReportRead = Result<std::optional<contract::RunnerReport>>;

// interpret_runner_exit() on a report the caller has already read.
Result<int> interpret_report(RunnerReportRead const& report, std::optional<int> runner_status,
                             std::filesystem::path const& vm_dir);

} // namespace microvm
