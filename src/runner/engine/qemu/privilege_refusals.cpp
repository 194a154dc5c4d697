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
#include <optional>

#include "runner/engine/qemu/privilege_filter.hpp"

namespace microvm::runner::qemu {

namespace {

// XATTR_NAME_MAX is 255; with its NUL a name fits in 256 bytes.
constexpr std::size_t max_xattr_name = 256;

bool is_xattr_call(int nr) {
    return nr == SYS_setxattr || nr == SYS_lsetxattr || nr == SYS_fsetxattr;
}

// The NUL-terminated string at `address` in process `pid`, or nullopt when it cannot be read
// whole. Read page by page: a name that ends just before an unmapped page is still read.
std::optional<std::string> read_remote_name(pid_t pid, std::uint64_t address) {
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
            return std::nullopt;
        }
        std::string_view const chunk(buffer, static_cast<std::size_t>(got));
        if (auto const nul = chunk.find('\0'); nul != std::string_view::npos) {
            name.append(chunk.substr(0, nul));
            return name;
        }
        name.append(chunk);
    }
    return std::nullopt;
}

} // namespace

struct PrivilegeRefusals::State {
    std::vector<FilteredShare> shares;
    base::Fd wake; // an eventfd: the destructor's "stop"
    std::set<std::pair<std::string, std::string>> logged;
    std::thread thread;

    // Keyed by share and kind (not by the attribute's name, which the guest chooses), so the
    // log holds at most three lines per share.
    void log_once(std::string const& tag, std::string const& kind, std::string const& what) {
        if (logged.emplace(tag, kind).second) {
            std::fprintf(stderr,
                         "microvm-runner: share \"%s\": refused %s (EPERM in the guest): files "
                         "in a read-write share carry no privilege onto the host unless the share "
                         "allows it (suid, dev); further refusals of this kind are not logged\n",
                         tag.c_str(), what.c_str());
        }
    }

    // One notification on `share`'s listener: answered, whatever happens.
    void answer(FilteredShare const& share) {
        seccomp_notif request{};
        if (::ioctl(share.listener.get(), SECCOMP_IOCTL_NOTIF_RECV, &request) < 0) {
            return; // the caller died or was killed meanwhile (ENOENT), or EINTR
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
            if (name && valid && !privileged_xattr_name(*name)) {
                // Safe to let run: were the name rewritten to a privileged one meanwhile, the
                // kernel refuses it, as the daemon holds neither CAP_SETFCAP nor CAP_SYS_ADMIN.
                response.error = 0;
                response.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
            } else {
                log_once(share.tag, "xattr",
                         name ? "the extended attribute \"" + *name + "\""
                              : std::string("an extended attribute whose name it could not read"));
            }
        } else {
            std::string const kind = refused_kind(request.data);
            log_once(share.tag, kind, kind.empty() ? "system call " + std::to_string(nr) : kind);
        }
        (void)::ioctl(share.listener.get(), SECCOMP_IOCTL_NOTIF_SEND, &response);
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
                return; // their filtered calls now fail with ENOSYS once the listeners close
            }
            if (fds[0].revents != 0) {
                return;
            }
            for (std::size_t i = 1; i < fds.size(); ++i) {
                if ((fds[i].revents & POLLIN) != 0) {
                    answer(shares[i - 1]);
                } else if ((fds[i].revents & (POLLHUP | POLLERR)) != 0) {
                    fds[i].fd = -1; // the daemon has exited: nothing left to answer
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
