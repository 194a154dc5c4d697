#include "runner/output_logs.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <thread>
#include <utility>
#include <vector>

namespace microvm::runner {

namespace {

using Clock = std::chrono::steady_clock;

// Reads per wake-up and output: enough for a guest printing flat out, little enough that one
// busy output does not keep the others waiting.
constexpr std::size_t read_size = 64 * 1024;
constexpr auto report_interval = std::chrono::seconds(1);

Result<base::Fd> open_for_append(std::string const& path, int extra_flags) {
    base::Fd fd(::open(path.c_str(),
                       O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | extra_flags, 0600));
    if (!fd) {
        return fail_errno("open the log " + path);
    }
    return fd;
}

std::uint64_t size_of(std::string const& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)
               ? static_cast<std::uint64_t>(st.st_size)
               : 0;
}

Result<void> write_all(int fd, char const* data, std::size_t size, std::string const& path) {
    while (size > 0) {
        ssize_t const n = ::write(fd, data, size);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return fail_errno("write the log " + path);
        }
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return {};
}

} // namespace

Result<RotatingLog> RotatingLog::open(std::string path, std::uint64_t max_size) {
    RotatingLog log(std::move(path), max_size);
    log.m_fd = TRY(open_for_append(log.m_path, 0));
    struct stat st {};
    if (::fstat(log.m_fd.get(), &st) != 0) {
        return fail_errno("stat the log " + log.m_path);
    }
    log.m_size = static_cast<std::uint64_t>(st.st_size);
    log.m_previous_size = size_of(log.m_path + ".1");
    return log;
}

Result<std::uint64_t> RotatingLog::rotate() {
    std::string const previous = m_path + ".1";
    // rename() replaces the old .1 at once: a reader sees one file or the other, never neither.
    if (::rename(m_path.c_str(), previous.c_str()) != 0) {
        return fail_errno("rotate the log " + m_path);
    }
    std::uint64_t const dropped = m_previous_size;
    m_previous_size = m_size;
    m_size = 0;
    m_fd = TRY(open_for_append(m_path, O_EXCL));
    return dropped;
}

Result<std::uint64_t> RotatingLog::append(std::span<char const> data) {
    std::uint64_t dropped = 0;
    while (!data.empty()) {
        if (m_size >= m_half) {
            dropped += TRY(rotate());
        }
        std::size_t const n =
            static_cast<std::size_t>(std::min<std::uint64_t>(m_half - m_size, data.size()));
        TRY(write_all(m_fd.get(), data.data(), n, m_path));
        m_size += n;
        data = data.subspan(n);
    }
    return dropped;
}

struct OutputLogs::State {
    std::vector<RotatingLog> logs;
    std::array<base::Fd, count> runner_ends;
    std::array<base::Fd, count> vm_ends;
    std::function<void(LogDrops const&)> on_dropped;
    base::Fd wake;
    std::atomic<bool> stopping{false};
    std::thread thread;

    LogDrops dropped;
    LogDrops reported;
    Clock::time_point last_report{};
    std::array<bool, count> failed{};

    void count_drop(std::size_t index, std::uint64_t bytes) {
        std::uint64_t* const fields[] = {&dropped.console_bytes, &dropped.stdout_bytes,
                                         &dropped.stderr_bytes};
        *fields[index] += bytes;
    }

    void report(bool final) {
        if (dropped == reported || !on_dropped) {
            return;
        }
        auto const now = Clock::now();
        if (!final && now - last_report < report_interval) {
            return;
        }
        on_dropped(dropped);
        reported = dropped;
        last_report = now;
    }

    // Returns false at the end of the output (the VMM closed its end).
    bool drain(std::size_t index, std::vector<char>& buffer) {
        ssize_t const n = ::read(runner_ends[index].get(), buffer.data(), buffer.size());
        if (n < 0) {
            return errno == EINTR || errno == EAGAIN;
        }
        if (n == 0) {
            return false;
        }
        auto written = logs[index].append({buffer.data(), static_cast<std::size_t>(n)});
        if (written) {
            count_drop(index, *written);
        } else {
            // The host's disk is full or the log was taken away: the output is lost, but the
            // guest must not stall on it. Said once per log.
            count_drop(index, static_cast<std::uint64_t>(n));
            if (!failed[index]) {
                failed[index] = true;
                spdlog::error("{}; dropping this output from now on", written.error().text());
            }
        }
        return true;
    }

    void run() {
        std::vector<char> buffer(read_size);
        std::array<bool, count> open{};
        open.fill(true);
        while (std::ranges::any_of(open, [](bool o) { return o; })) {
            std::vector<pollfd> fds;
            std::vector<std::size_t> which;
            for (std::size_t i = 0; i < count; ++i) {
                if (open[i]) {
                    fds.push_back({runner_ends[i].get(), POLLIN, 0});
                    which.push_back(i);
                }
            }
            bool const stop = stopping.load();
            if (!stop) {
                fds.push_back({wake.get(), POLLIN, 0});
            }
            // Stopping: write what is there, without waiting for more.
            int const ready = ::poll(fds.data(), fds.size(), stop ? 0 : 1000);
            if (ready < 0 && errno != EINTR) {
                spdlog::error("the output logs: poll failed ({}); the logs end here",
                              ::strerror(errno));
                break;
            }
            if (ready <= 0 && stop) {
                break;
            }
            for (std::size_t k = 0; k < which.size(); ++k) {
                if (fds[k].revents != 0 && !drain(which[k], buffer)) {
                    open[which[k]] = false;
                }
            }
            report(false);
        }
        report(true);
    }
};

OutputLogs::OutputLogs(std::unique_ptr<State> state) : m_state(std::move(state)) {}
OutputLogs::OutputLogs(OutputLogs&&) noexcept = default;

OutputLogs::~OutputLogs() {
    if (!m_state || !m_state->thread.joinable()) {
        return;
    }
    m_state->stopping = true;
    std::uint64_t const one = 1;
    (void)!::write(m_state->wake.get(), &one, sizeof one);
    m_state->thread.join();
}

base::Fd& OutputLogs::vm_end(std::size_t index) {
    return m_state->vm_ends.at(index);
}

Result<OutputLogs> OutputLogs::start(Settings settings) {
    auto state = std::make_unique<State>();
    state->on_dropped = std::move(settings.on_dropped);
    for (std::size_t i = 0; i < count; ++i) {
        state->logs.push_back(TRY(RotatingLog::open(settings.paths[i], settings.max_size)));
        int pair[2] = {-1, -1};
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
            return fail_errno("socketpair for the log " + settings.paths[i]);
        }
        state->runner_ends[i] = base::Fd(pair[0]);
        state->vm_ends[i] = base::Fd(pair[1]);
        // Never shut down for writing although the runner sends nothing: qemu takes the end of
        // its input for a disconnect and closes the socket.
    }
    state->wake = base::Fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!state->wake) {
        return fail_errno("eventfd");
    }
    State* raw = state.get();
    state->thread = std::thread([raw] { raw->run(); });
    return OutputLogs(std::move(state));
}

} // namespace microvm::runner
