#include "runner/engine/qemu/share_daemon.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string_view>
#include <vector>

#include "base/command.hpp"
#include "base/fd.hpp"
#include "base/unix_socket.hpp"
#include "runner/engine/qemu/read_only_view.hpp"

namespace microvm::runner::qemu {

namespace {

// The descriptor number the listening socket gets in the daemon.
constexpr int daemon_listen_fd = 3;
// Where the privilege filter's step finds the socket it sends the filter's listener on; the
// step closes it before the daemon runs.
constexpr int filter_socket_fd = 4;

std::vector<std::string> capabilities_to_drop(std::optional<PrivilegeRules> const& rules) {
    std::vector<std::string> drop;
    if (rules && !rules->allow_devices) {
        drop.emplace_back("mknod");
    }
    if (rules && !rules->allow_setuid) {
        drop.insert(drop.end(), {"setfcap", "fsetid"});
    }
    return drop;
}

} // namespace

Result<VirtiofsdCapabilities> detect_virtiofsd(std::string const& binary) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) < 0) {
        return fail_errno("pipe2");
    }
    base::Fd read_end(pipe_fds[0]);
    base::Fd write_end(pipe_fds[1]);
    base::Child child = TRY_CTX(base::spawn({.path = binary,
                                             .argv = {binary, "--help"},
                                             .fds = {{write_end.get(), 1}, {write_end.get(), 2}},
                                             .death_signal = SIGKILL,
                                             .before_exec = {}}),
                                "run " + binary + " --help");
    write_end.reset();
    std::string help;
    char chunk[4096];
    for (;;) {
        ssize_t const got = ::read(read_end.get(), chunk, sizeof(chunk));
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0 || help.size() > (1 << 20)) {
            break;
        }
        help.append(chunk, static_cast<std::size_t>(got));
    }
    read_end.reset();
    TRY(child.wait());
    return parse_virtiofsd_help(help);
}

std::string daemon_log_tail(std::string const& log_path, std::size_t lines) {
    if (log_path.empty()) {
        return {};
    }
    base::Fd file(::open(log_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!file) {
        return {};
    }
    // The tail of a log that may have grown large: only its end is read.
    constexpr off_t window = 4096;
    off_t const size = ::lseek(file.get(), 0, SEEK_END);
    if (size <= 0) {
        return {};
    }
    off_t const start = size > window ? size - window : 0;
    std::string text(static_cast<std::size_t>(size - start), '\0');
    ssize_t const got = ::pread(file.get(), text.data(), text.size(), start);
    text.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
    std::vector<std::string_view> kept;
    std::string_view rest = text;
    while (!rest.empty()) {
        std::size_t const newline = rest.find('\n');
        std::string_view const line = rest.substr(0, newline);
        rest = newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);
        if (!line.empty()) {
            kept.push_back(line);
        }
    }
    std::string tail;
    for (std::size_t i = kept.size() > lines ? kept.size() - lines : 0; i < kept.size(); ++i) {
        tail += tail.empty() ? "" : "\n";
        tail += kept[i];
    }
    return tail;
}

Result<ShareDaemon> start_share_daemon(SharePlan const& plan, Virtiofsd const& daemon) {
    base::Fd const listener = TRY(base::listen_unix(plan.socket_path));
    base::Fd log;
    if (!plan.log_path.empty()) {
        log.reset(::open(plan.log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
        if (!log) {
            return fail_errno("open " + plan.log_path);
        }
    }
    int const output = log ? log.get() : STDERR_FILENO;
    ReadOnlyView const view{.source = plan.source, .target = plan.view_dir};
    bool const via_view = plan.enforcement == HostEnforcement::read_only_view;
    VirtiofsdLaunch const launch{
        .binary = daemon.binary,
        .capabilities = daemon.capabilities,
        .source = via_view ? plan.view_dir : plan.source,
        .listen_fd = daemon_listen_fd,
        .cache = plan.cache,
        .read_only = plan.enforcement == HostEnforcement::daemon_flag,
        .log_level = daemon.log_level,
        .drop_capabilities = capabilities_to_drop(plan.privileges),
    };
    std::vector<base::FdMapping> fds = {
        {listener.get(), daemon_listen_fd}, {output, 1}, {output, 2}};
    base::ChildStep step = via_view ? read_only_view_step(view) : base::ChildStep();
    std::optional<PrivilegeFilter> filter;
    base::Fd filter_socket;
    base::Fd filter_socket_child;
    if (plan.privileges) {
        filter = TRY_CTX(build_privilege_filter(*plan.privileges), "build the privilege filter");
        int pair[2];
        if (::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, pair) < 0) {
            return fail_errno("socketpair");
        }
        filter_socket.reset(pair[0]);
        filter_socket_child.reset(pair[1]);
        fds.push_back({filter_socket_child.get(), filter_socket_fd});
        step = install_privilege_filter_step(*filter, filter_socket_fd);
    }
    base::Child child = TRY(base::spawn({
        .path = daemon.binary,
        .argv = virtiofsd_argv(launch),
        .fds = fds,
        .death_signal = SIGKILL,
        .before_exec = step,
    }));
    std::optional<FilteredShare> privilege_filter;
    if (filter) {
        privilege_filter = FilteredShare{.tag = plan.tag,
                                         .listener = TRY(receive_listener(filter_socket.get())),
                                         .rules = *plan.privileges};
    }
    // The runner's copy of the listener closes here, so that qemu's connection fails instead of
    // hanging should the daemon die before accepting it.
    return ShareDaemon{.tag = plan.tag,
                       .child = std::move(child),
                       .privilege_filter = std::move(privilege_filter)};
}

} // namespace microvm::runner::qemu
