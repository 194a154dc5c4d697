#include "runner/engine/qemu/share_daemon.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "base/command.hpp"
#include "base/fd.hpp"
#include "runner/engine/qemu/read_only_view.hpp"
#include "runner/engine/qemu/unix_socket.hpp"

namespace microvm::runner::qemu {

namespace {

// The descriptor number the listening socket gets in the daemon.
constexpr int daemon_listen_fd = 3;

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

Result<ShareDaemon> start_share_daemon(SharePlan const& plan, Virtiofsd const& daemon) {
    base::Fd const listener = TRY(listen_unix(plan.socket_path));
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
    };
    base::Child child = TRY(base::spawn({
        .path = daemon.binary,
        .argv = virtiofsd_argv(launch),
        .fds = {{listener.get(), daemon_listen_fd}, {STDERR_FILENO, 1}, {STDERR_FILENO, 2}},
        .death_signal = SIGKILL,
        .before_exec = via_view ? read_only_view_step(view) : base::ChildStep(),
    }));
    // The runner's copy of the listener closes here, so that qemu's connection fails instead of
    // hanging should the daemon die before accepting it.
    return ShareDaemon{.tag = plan.tag, .child = std::move(child)};
}

} // namespace microvm::runner::qemu
