// A VM's directory, <data dir>/vms/<name>/ (DESIGN.md §4.5): the one place that names what
// microvm keeps in it. Every reader and writer of these files goes through here.
#pragma once

#include <filesystem>
#include <string>

namespace microvm::state {

class VmDir {
public:
    // Names inside the directory, for the calls that open them relative to it (the safe-file
    // layer: nothing planted there is followed).
    static constexpr char runner_config_name[] = "runner.json";
    static constexpr char runner_log_name[] = "runner.log";
    static constexpr char runner_report_name[] = "runner-report.json";
    static constexpr char console_log_name[] = "console.log";
    static constexpr char stdout_log_name[] = "stdout.log";
    static constexpr char stderr_log_name[] = "stderr.log";
    static constexpr char state_name[] = "state.json";
    static constexpr char state_lock_name[] = "state.lock";
    static constexpr char runtime_dir_name[] = "run";
    static constexpr char rootfs_dir_name[] = "rootfs";
    static constexpr char layer_disk_name[] = "rootfs.ext4";

    explicit VmDir(std::filesystem::path path) : m_path(std::move(path)) {}

    std::filesystem::path const& path() const { return m_path; }

    // What the host tells the runner (contract/runner_config.hpp), 0600.
    std::filesystem::path runner_config() const { return m_path / runner_config_name; }
    // The runner's stderr: its own messages and qemu's. For people; microvm never parses it.
    std::filesystem::path runner_log() const { return m_path / runner_log_name; }
    // What the runner reports (contract/runner_report.hpp): the host's only source for what
    // protects each share and how the VM ended.
    std::filesystem::path runner_report() const { return m_path / runner_report_name; }
    // The guest's console (kernel, microvm-init) and the workload's output.
    std::filesystem::path console_log() const { return m_path / console_log_name; }
    std::filesystem::path stdout_log() const { return m_path / stdout_log_name; }
    std::filesystem::path stderr_log() const { return m_path / stderr_log_name; }
    // The persisted VM record (state_file.hpp) and the lock every update holds.
    std::filesystem::path state() const { return m_path / state_name; }
    std::filesystem::path state_lock() const { return m_path / state_lock_name; }
    // The runner's sockets and status file, 0700.
    std::filesystem::path runtime_dir() const { return m_path / runtime_dir_name; }
    // The VM's writable layer of its root: upper/ and work/ of the overlay, or copy/.
    std::filesystem::path rootfs_dir() const { return m_path / rootfs_dir_name; }
    // The writable layer's disk when it has a size cap (rootfs/layer_disk.hpp): the runner
    // mounts it over rootfs_dir().
    std::filesystem::path layer_disk() const { return m_path / layer_disk_name; }

private:
    std::filesystem::path m_path;
};

} // namespace microvm::state
