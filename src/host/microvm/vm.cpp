#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <thread>

#include <microvm/microvm.hpp>

#include "base/fd.hpp"
#include "host/microvm/vm_impl.hpp"

namespace microvm {

Vm::Vm(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Vm::Vm(Vm&&) noexcept = default;
Vm& Vm::operator=(Vm&&) noexcept = default;
Vm::~Vm() = default;

std::string const& Vm::name() const {
    return m_impl->name;
}
std::string Vm::id() const {
    return m_impl->handle->id();
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
    return m_impl->vm_dir / vm_files::stdout_log;
}
std::filesystem::path Vm::stderr_path() const {
    return m_impl->vm_dir / vm_files::stderr_log;
}
std::filesystem::path Vm::console_log_path() const {
    return m_impl->vm_dir / vm_files::console_log;
}

bool Vm::alive() const {
    return m_impl->handle->alive();
}

Result<void> Vm::stop(std::chrono::seconds timeout) {
    TRY_CTX(m_impl->handle->stop(timeout), "stop vm " + m_impl->name);
    return {};
}

Result<int> Vm::wait() {
    if (!m_impl->outcome) {
        auto status = m_impl->handle->wait();
        if (!status) {
            return std::unexpected(
                std::move(status.error()).context("wait for vm " + m_impl->name));
        }
        m_impl->outcome = interpret_runner_exit(*status, m_impl->vm_dir);
    }
    return *m_impl->outcome;
}

namespace {

// Copies whatever has been appended to `source` since the last call to `sink`.
class FileFollower {
public:
    FileFollower(std::filesystem::path path, int sink) : m_path(std::move(path)), m_sink(sink) {}

    // Returns true when it copied anything.
    bool pump() {
        if (!m_source) {
            // The runner creates the file when the VM starts; until then there is nothing to copy.
            m_source = base::Fd(::open(m_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
            if (!m_source) {
                return false;
            }
        }
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

private:
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
    int m_sink;
    base::Fd m_source;
};

} // namespace

Result<int> Vm::follow(int stdout_fd, int stderr_fd) {
    FileFollower out(stdout_path(), stdout_fd);
    FileFollower err(stderr_path(), stderr_fd);
    // Poll rather than inotify: the files are written by another process through QEMU's
    // chardevs, and a 20 ms cadence keeps interactive output prompt at negligible cost.
    while (m_impl->handle->alive()) {
        bool copied = out.pump();
        copied = err.pump() || copied;
        if (!copied) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }
    auto status = wait();
    // What the guest wrote just before it powered off.
    out.pump();
    err.pump();
    return status;
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
