#include "guest/exec_session.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "base/sys.hpp"
#include "base/user_accounts.hpp"
#include "guest/files.hpp"

namespace microvm::guest {
namespace {

std::string_view name_of(std::string_view entry) {
    return entry.substr(0, entry.find('='));
}

void set_variable(std::vector<std::string>& env, std::string const& entry) {
    for (auto& existing : env) {
        if (name_of(existing) == name_of(entry)) {
            existing = entry;
            return;
        }
    }
    env.push_back(entry);
}

bool sets_variable(std::vector<std::string> const& env, std::string_view name) {
    for (auto const& entry : env) {
        if (name_of(entry) == name) {
            return true;
        }
    }
    return false;
}

Result<void> set_nonblocking(base::Fd const& fd) {
    int const flags = ::fcntl(fd.get(), F_GETFL);
    if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) < 0) {
        return fail_errno("fcntl(O_NONBLOCK)");
    }
    return {};
}

} // namespace

Result<ExecTerminal> open_exec_terminal(std::uint16_t rows, std::uint16_t cols) {
    base::Fd master(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!master) {
        return fail_errno("posix_openpt");
    }
    char name[128];
    if (::grantpt(master.get()) != 0 || ::unlockpt(master.get()) != 0 ||
        ::ptsname_r(master.get(), name, sizeof(name)) != 0) {
        return fail_errno("unlock the pseudo-terminal");
    }
    base::Fd slave(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!slave) {
        return fail_errno(std::string("open ") + name);
    }
    if (rows != 0 && cols != 0) {
        winsize const size{.ws_row = rows, .ws_col = cols, .ws_xpixel = 0, .ws_ypixel = 0};
        if (::ioctl(master.get(), TIOCSWINSZ, &size) != 0) {
            return fail_errno("set the terminal size");
        }
    }
    return ExecTerminal{std::move(master), std::move(slave)};
}

Result<WorkloadSpec> exec_workload(contract::ExecRequest const& request,
                                   ExecDefaults const& defaults, base::Fd const& root) {
    WorkloadSpec spec{.argv = request.argv,
                      .env = defaults.env,
                      .cwd = request.cwd.empty() ? defaults.cwd : request.cwd,
                      .user = defaults.user};
    if (!request.user.empty()) {
        auto const ids = TRY(base::resolve_user(request.user, root));
        spec.user = User{.uid = ids.uid, .gid = ids.gid};
        if (!sets_variable(request.env, "HOME")) {
            set_variable(spec.env, "HOME=" + (ids.home.empty() ? std::string("/") : ids.home));
        }
    }
    for (auto const& entry : request.env) {
        set_variable(spec.env, entry);
    }
    return spec;
}

Result<ExecChild> start_exec_child(WorkloadSpec const& spec, contract::ExecRequest const& request) {
    ExecChild child;
    if (request.detach) {
        base::Fd const null = TRY(open_dev_null());
        child.pid = TRY(start_workload(
            spec, {.stdin_fd = null.get(), .stdout_fd = null.get(), .stderr_fd = null.get()}));
        return child;
    }
    if (request.tty) {
        ExecTerminal terminal = TRY(open_exec_terminal(request.rows, request.cols));
        int const slave = terminal.slave.get();
        child.pid = TRY(start_workload(spec, {.stdin_fd = slave,
                                              .stdout_fd = slave,
                                              .stderr_fd = slave,
                                              .controlling_terminal = true}));
        TRY(set_nonblocking(terminal.master));
        child.input = base::Fd(::fcntl(terminal.master.get(), F_DUPFD_CLOEXEC, 0));
        if (!child.input) {
            return fail_errno("dup the terminal");
        }
        child.output = std::move(terminal.master);
        return child;
    }
    base::Fd null;
    std::optional<base::sys::Pipe> input;
    if (request.stdin_open) {
        input = TRY(base::sys::make_pipe());
    } else {
        null = TRY(open_dev_null());
    }
    base::sys::Pipe output = TRY(base::sys::make_pipe());
    base::sys::Pipe errors = TRY(base::sys::make_pipe());
    child.pid = TRY(start_workload(spec, {.stdin_fd = input ? input->read.get() : null.get(),
                                          .stdout_fd = output.write.get(),
                                          .stderr_fd = errors.write.get()}));
    if (input) {
        child.input = std::move(input->write);
        TRY(set_nonblocking(child.input));
    }
    child.output = std::move(output.read);
    child.errors = std::move(errors.read);
    TRY(set_nonblocking(child.output));
    TRY(set_nonblocking(child.errors));
    return child;
}

} // namespace microvm::guest
