#include "runner/engine/qemu/privilege_refusals.hpp"

#include <linux/seccomp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <expected>

#include "runner/engine/qemu/privilege_filter.hpp"
#include "runner/logging.hpp"

namespace microvm::runner::qemu {

namespace {

// XATTR_NAME_MAX is 255; with its NUL a name fits in 256 bytes.
constexpr std::size_t max_xattr_name = 256;

bool is_xattr_call(int nr) {
    return nr == SYS_setxattr || nr == SYS_lsetxattr || nr == SYS_fsetxattr;
}

// What the guest chose, made safe to print on one line of the log: bytes outside printable
// ASCII become \xNN.
std::string printable(std::string const& text) {
    std::string out;
    for (unsigned char c : text) {
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out += static_cast<char>(c);
        } else {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
            out += escaped;
        }
    }
    return out;
}

// The NUL-terminated string at `address` in process `pid`, or the errno why it cannot be read
// whole. Read page by page: a name that ends just before an unmapped page is still read.
std::expected<std::string, int> read_remote_name(pid_t pid, std::uint64_t address) {
    long const page = ::sysconf(_SC_PAGESIZE);
    std::string name;
    while (name.size() < max_xattr_name) {
        std::uint64_t const at = address + name.size();
        std::size_t const to_page_end =
            static_cast<std::size_t>(page) -
            static_cast<std::size_t>(at % static_cast<std::uint64_t>(page));
        char buffer[max_xattr_name];
        std::size_t const want = std::min(to_page_end, max_xattr_name - name.size());
        iovec local{.iov_base = buffer, .iov_len = want};
        iovec remote{.iov_base = reinterpret_cast<void*>(at), .iov_len = want};
        ssize_t const got = ::process_vm_readv(pid, &local, 1, &remote, 1, 0);
        if (got <= 0) {
            return std::unexpected(got < 0 ? errno : EFAULT);
        }
        std::string_view const chunk(buffer, static_cast<std::size_t>(got));
        if (auto const nul = chunk.find('\0'); nul != std::string_view::npos) {
            name.append(chunk.substr(0, nul));
            return name;
        }
        name.append(chunk);
    }
    return std::unexpected(ENAMETOOLONG);
}

} // namespace

struct PrivilegeRefusals::State {
    std::vector<FilteredShare> shares;
    base::Fd wake; // an eventfd: the destructor's "stop"
    std::set<std::pair<std::string, std::string>> logged;
    std::thread thread;

    // Keyed by share and kind (not by the attribute's name, which the guest chooses), so the
    // log holds a handful of lines per share at most.
    void log_once(std::string const& tag, std::string const& kind, std::string const& what) {
        if (logged.emplace(tag, kind).second) {
            notice("share \"" + tag + "\": refused " + what +
                   " (EPERM in the guest): what a guest writes into a read-write share carries "
                   "no privilege onto the host; the share's options suid and dev allow "
                   "setuid/setgid files and file capabilities, and device nodes (further "
                   "refusals of this kind are not logged)");
        }
    }

    // One notification on `share`'s listener: answered, whatever happens. False when the
    // listener cannot be read at all any more.
    bool answer(FilteredShare const& share) {
        seccomp_notif request{};
        if (::ioctl(share.listener.get(), SECCOMP_IOCTL_NOTIF_RECV, &request) < 0) {
            // The caller died or was killed meanwhile (ENOENT), or a signal (EINTR).
            return errno == ENOENT || errno == EINTR;
        }
        seccomp_notif_resp response{};
        response.id = request.id;
        response.error = -EPERM;
        int const nr = request.data.nr;
        if (is_xattr_call(nr)) {
            auto const name =
                read_remote_name(static_cast<pid_t>(request.pid), request.data.args[1]);
            // The name must have been read while the call was still waiting, or it may belong
            // to a recycled pid.
            bool const valid =
                ::ioctl(share.listener.get(), SECCOMP_IOCTL_NOTIF_ID_VALID, &request.id) == 0;
            if (name && valid && !refuses_xattr(*name, share.rules)) {
                response.error = 0;
                response.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
            } else if (name) {
                log_once(share.tag, "xattr", "the extended attribute \"" + printable(*name) + "\"");
            } else {
                log_once(
                    share.tag, "xattr-unread",
                    std::string("an extended attribute whose name the runner could not read (") +
                        ::strerrorname_np(name.error()) +
                        "; it needs CAP_SYS_PTRACE over the file server)");
            }
        } else {
            std::string const kind = refused_kind(request.data);
            log_once(share.tag, kind, kind.empty() ? "system call " + std::to_string(nr) : kind);
        }
        (void)::ioctl(share.listener.get(), SECCOMP_IOCTL_NOTIF_SEND, &response);
        return true;
    }

    void run() {
        std::vector<pollfd> fds;
        fds.push_back({.fd = wake.get(), .events = POLLIN, .revents = 0});
        for (auto const& share : shares) {
            fds.push_back({.fd = share.listener.get(), .events = POLLIN, .revents = 0});
        }
        for (;;) {
            if (::poll(fds.data(), fds.size(), -1) < 0) {
                if (errno == EINTR) {
                    continue;
                }
                std::perror("microvm-runner: poll the file servers' seccomp listeners");
                // Closed, the daemons' filtered calls fail with ENOSYS instead of waiting for
                // an answer that will not come.
                shares.clear();
                return;
            }
            if (fds[0].revents != 0) {
                return;
            }
            for (std::size_t i = 1; i < fds.size(); ++i) {
                auto& share = shares[i - 1];
                bool const readable = (fds[i].revents & POLLIN) != 0;
                if (readable && answer(share)) {
                    continue;
                }
                if (readable || (fds[i].revents & (POLLHUP | POLLERR | POLLNVAL)) != 0) {
                    // The daemon has exited, or its listener broke: nothing more to answer.
                    fds[i].fd = -1;
                    share.listener.reset();
                }
            }
        }
    }
};

Result<PrivilegeRefusals> PrivilegeRefusals::start(std::vector<FilteredShare> shares) {
    PrivilegeRefusals refusals;
    if (shares.empty()) {
        return refusals;
    }
    refusals.m_state = std::make_unique<State>();
    refusals.m_state->shares = std::move(shares);
    refusals.m_state->wake = base::Fd(::eventfd(0, EFD_CLOEXEC));
    if (!refusals.m_state->wake) {
        return fail_errno("eventfd");
    }
    State* state = refusals.m_state.get();
    refusals.m_state->thread = std::thread([state] { state->run(); });
    return refusals;
}

PrivilegeRefusals::PrivilegeRefusals(PrivilegeRefusals&& other) noexcept
    : m_state(std::move(other.m_state)) {}

PrivilegeRefusals::~PrivilegeRefusals() {
    if (!m_state || !m_state->thread.joinable()) {
        return;
    }
    std::uint64_t const one = 1;
    (void)::write(m_state->wake.get(), &one, sizeof(one));
    m_state->thread.join();
}

} // namespace microvm::runner::qemu
