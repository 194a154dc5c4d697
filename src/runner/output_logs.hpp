// The VM's output logs under a cap (runner.json log_max_size): the runner, not the VMM, writes
// the console, stdout and stderr logs, so that a guest that prints without end cannot fill the
// host's disk. Each log keeps the newest output in two files of half the cap each: <log> is
// written, and when it is full it becomes <log>.1 (the previous <log>.1 is dropped) and a new
// <log> begins. What is dropped is counted and reported (contract LogDrops), never written
// into the logs: they hold the guest's bytes and nothing else.
//
// The VMM writes into stream sockets (one per output) whose other ends a thread of the runner
// reads. A socket the runner does not read is one the VMM stops writing to (qemu throttles the
// guest's port), so a slow host disk slows the guest's output instead of growing a buffer.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include <microvm/options.hpp>

#include "base/error.hpp"
#include "base/fd.hpp"

namespace microvm::runner {

// One capped log: appends, and rotates at half the cap.
class RotatingLog {
public:
    // Opens (creates, 0600, without following a symlink) `path` for appending; an existing
    // file and <path>.1 count toward the cap.
    static Result<RotatingLog> open(std::string path, std::uint64_t max_size);

    // Appends `data`, rotating as often as it takes. Returns how many bytes of older output the
    // rotations dropped.
    Result<std::uint64_t> append(std::span<char const> data);

    std::string const& path() const { return m_path; }

private:
    RotatingLog(std::string path, std::uint64_t max_size)
        : m_path(std::move(path)), m_half(max_size / 2) {}
    Result<std::uint64_t> rotate();

    std::string m_path;
    std::uint64_t m_half;
    base::Fd m_fd;
    std::uint64_t m_size = 0;
    std::uint64_t m_previous_size = 0;
};

// The three logs and the thread that fills them.
class OutputLogs {
public:
    // In this order: console, stdout, stderr.
    static constexpr std::size_t count = 3;

    struct Settings {
        std::array<std::string, count> paths;
        std::uint64_t max_size = 0;
        // Called from the thread, at most once a second while the logs drop output, and once
        // more when it ends with what it had not reported yet.
        std::function<void(LogDrops const&)> on_dropped;
    };

    static Result<OutputLogs> start(Settings settings);

    OutputLogs(OutputLogs&&) noexcept;
    OutputLogs& operator=(OutputLogs&&) = delete;
    OutputLogs(OutputLogs const&) = delete;
    OutputLogs& operator=(OutputLogs const&) = delete;
    // Writes what the sockets still hold, then stops the thread.
    ~OutputLogs();

    // The VMM's end of output `index`'s socket; the runner closes its copy once the VMM has it.
    base::Fd& vm_end(std::size_t index);

private:
    struct State;
    explicit OutputLogs(std::unique_ptr<State> state);

    std::unique_ptr<State> m_state;
};

} // namespace microvm::runner
