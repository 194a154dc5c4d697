#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <optional>
#include <thread>
#include <vector>

#include <microvm/microvm.hpp>

#include "base/fd.hpp"
#include "contract/runner_report.hpp"
#include "host/microvm/vm_impl.hpp"
#include "host/microvm/vm_registry.hpp"
#include "host/process/stop.hpp"
#include "host/state/vm_dir.hpp"

namespace microvm {

Vm::Vm(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Vm::Vm(Vm&&) noexcept = default;
Vm& Vm::operator=(Vm&&) noexcept = default;
Vm::~Vm() = default;

std::string const& Vm::name() const {
    return m_impl->name;
}
std::string Vm::id() const {
    return m_impl->handle ? m_impl->handle->id() : std::string();
}
std::filesystem::path const& Vm::data_dir() const {
    return m_impl->vm_dir;
}
std::filesystem::path const& Vm::rootfs_path() const {
    return m_impl->rootfs;
}
std::vector<PortForward> const& Vm::ports() const {
    return m_impl->ports;
}
std::filesystem::path Vm::stdout_path() const {
    return state::VmDir(m_impl->vm_dir).stdout_log();
}
std::filesystem::path Vm::stderr_path() const {
    return state::VmDir(m_impl->vm_dir).stderr_log();
}
std::filesystem::path Vm::console_log_path() const {
    return state::VmDir(m_impl->vm_dir).console_log();
}

bool Vm::alive() const {
    return m_impl->handle && m_impl->handle->alive();
}

bool Vm::vmm_started() const {
    auto const report =
        contract::read_runner_report(state::VmDir(m_impl->vm_dir).runner_report().string());
    return report && *report && (*report)->vmm_started;
}

Result<VmInfo> Vm::status() const {
    auto record = TRY_CTX(refresh_state(m_impl->vm_dir), "status of vm " + m_impl->name);
    if (!record) {
        return fail("vm " + m_impl->name + " has no state yet (it is being created)");
    }
    return std::move(record->info);
}

Result<void> Vm::stop(std::chrono::seconds timeout) {
    if (!m_impl->handle) {
        return {};
    }
    TRY_CTX(m_impl->handle->stop(timeout), "stop vm " + m_impl->name);
    if (m_impl->runner_is_child) {
        // The runner was our child and is reaped now; record its end while it is known.
        (void)wait();
    }
    return {};
}

namespace {

// The outcome of a runner: from its exit status when this process started (and so reaps) it,
// else from the result file once it is gone.
Result<int> runner_outcome(Vm::Impl& impl) {
    if (!impl.handle) {
        return fail("it has no runner: it is still being created, or its creation was "
                    "interrupted (microvm rm removes it)");
    }
    if (!impl.runner_is_child) {
        TRY(process::wait_for_exit(*impl.runner));
        return interpret_runner_exit(std::nullopt, impl.vm_dir);
    }
    auto status = TRY(impl.handle->wait());
    if (impl.auto_remove) {
        // The runner removed the directory and its result with it; its status is all there is.
        return status;
    }
    return interpret_runner_exit(status, impl.vm_dir);
}

} // namespace

Result<int> Vm::wait() {
    if (!m_impl->outcome) {
        auto outcome = runner_outcome(*m_impl);
        if (!outcome && !m_impl->handle) {
            return std::unexpected(
                std::move(outcome.error()).context("wait for vm " + m_impl->name));
        }
        if (auto recorded = record_outcome(m_impl->vm_dir, outcome); !recorded) {
            spdlog::warn("vm {}: {}", m_impl->name, recorded.error().text());
        }
        m_impl->outcome = std::move(outcome);
    }
    return *m_impl->outcome;
}

namespace {

// Copies a log to `sink` as it grows, across the runner's rotations (runner/output_logs.hpp:
// <log> becomes <log>.1 when it is full and a new <log> begins). Starting at <log>.1 when it
// exists, it reads each file to its end before it moves on to the newer one, by inode, so a
// rotation between two reads loses nothing unless two happened (the older of the two files it
// never opened is gone by then).
class FileFollower {
public:
    FileFollower(std::filesystem::path path, int sink)
        : m_path(std::move(path)), m_previous(m_path.string() + ".1"), m_sink(sink) {}

    // Returns true when it copied anything.
    bool pump() {
        bool copied = false;
        while (true) {
            if (!m_source && !open_next()) {
                return copied;
            }
            copied = copy_to_end() || copied;
            auto const current = inode_of(m_path);
            if (!current || *current == m_inode) {
                // Still the file being written (or the instant of a rotation between rename
                // and create): more comes here.
                return copied;
            }
            // Rotated away: nothing more is written to it, so what it holds now is all.
            copied = copy_to_end() || copied;
            m_source.reset();
        }
    }

private:
    static std::optional<ino_t> inode_of(std::filesystem::path const& path) {
        struct stat st {};
        if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
            return std::nullopt;
        }
        return st.st_ino;
    }

    // The first file is <log>.1 when there is one. After a file that was rotated away, the next
    // is <log>.1 unless that is the file just read (then <log>): <log>.1 is never older than it.
    bool open_next() {
        auto const previous = inode_of(m_previous);
        bool const previous_is_next = previous && (!m_inode || *previous != *m_inode);
        auto const& path = previous_is_next ? m_previous : m_path;
        m_source = base::Fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
        struct stat st {};
        if (!m_source || ::fstat(m_source.get(), &st) != 0) {
            m_source.reset();
            return false;
        }
        m_inode = st.st_ino;
        return true;
    }

    bool copy_to_end() {
        bool copied = false;
        std::array<char, 65536> buffer{};
        while (true) {
            ssize_t n = ::read(m_source.get(), buffer.data(), buffer.size());
            if (n <= 0) {
                return copied;
            }
            copied = true;
            write_all(buffer.data(), static_cast<std::size_t>(n));
        }
    }

    void write_all(char const* data, std::size_t size) {
        while (size > 0) {
            ssize_t n = ::write(m_sink, data, size);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                return; // A closed terminal or pipe must not stop the VM; the log keeps the output.
            }
            data += n;
            size -= static_cast<std::size_t>(n);
        }
    }

    std::filesystem::path m_path;
    std::filesystem::path m_previous;
    int m_sink;
    base::Fd m_source;
    std::optional<ino_t> m_inode;
};

// Copies the files as they grow until `vm` has ended, then what was written last.
void pump_while_alive(Vm const& vm, std::vector<FileFollower>& files) {
    // Poll rather than inotify: the files are written by another process through QEMU's
    // chardevs, and a 20 ms cadence keeps interactive output prompt at negligible cost.
    while (vm.alive()) {
        bool copied = false;
        for (auto& file : files) {
            copied = file.pump() || copied;
        }
        if (!copied) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }
}

} // namespace

Result<int> Vm::follow(int stdout_fd, int stderr_fd) {
    std::vector<FileFollower> files;
    files.emplace_back(stdout_path(), stdout_fd);
    files.emplace_back(stderr_path(), stderr_fd);
    pump_while_alive(*this, files);
    auto status = wait();
    // What the guest wrote just before it powered off.
    for (auto& file : files) {
        file.pump();
    }
    return status;
}

Result<void> Vm::logs(int stdout_fd, int stderr_fd, LogStream stream, LogFollow follow) const {
    std::vector<FileFollower> files;
    if (stream == LogStream::console) {
        files.emplace_back(console_log_path(), stdout_fd);
    } else {
        files.emplace_back(stdout_path(), stdout_fd);
        files.emplace_back(stderr_path(), stderr_fd);
    }
    if (follow == LogFollow::yes) {
        pump_while_alive(*this, files);
    }
    for (auto& file : files) {
        file.pump();
    }
    return {};
}

Result<void> Vm::remove() {
    TRY(stop());
    std::error_code error;
    std::filesystem::remove_all(m_impl->vm_dir, error);
    if (error) {
        return fail("remove " + m_impl->vm_dir.string() + ": " + error.message());
    }
    return {};
}

} // namespace microvm
