#include "guest/in_root.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <exception>
#include <filesystem>

#include "base/fd.hpp"
#include "guest/console.hpp"
#include "guest/exec_agent.hpp"
#include "guest/files.hpp"
#include "guest/network.hpp"
#include "guest/stop_request.hpp"

namespace microvm::guest {
namespace {

constexpr char default_hostname[] = "microvm";

} // namespace

Result<std::string> set_hostname(std::string const& name) {
    std::string const chosen = name.empty() ? std::string(default_hostname) : name;
    if (::sethostname(chosen.data(), chosen.size()) != 0) {
        return fail_errno("sethostname " + chosen);
    }
    return chosen;
}

Result<int> run_workload(PreparedRoot const& prepared, std::string const& hostname, int stdout_fd,
                         int stderr_fd, ExecTransport transport) {
    TRY_CTX(configure_network(prepared.config.network, hostname), "network");
    // Docker and podman create a missing working directory rather than fail.
    std::error_code ignored;
    std::filesystem::create_directories(prepared.workload.cwd, ignored);
    // Before the workload, so that it exists for the VM's whole life; it is a child of this
    // process, not of the workload's session.
    auto main = TRY_CTX(make_main_stdio(prepared.config), "the workload's stdio");
    start_exec_agent(transport,
                     {.env = prepared.workload.env,
                      .cwd = prepared.workload.cwd,
                      .user = prepared.workload.user},
                     main, stdout_fd);
    base::Fd const dev_null = TRY(open_dev_null());
    WorkloadIo io{.stdin_fd = dev_null.get(), .stdout_fd = stdout_fd, .stderr_fd = stderr_fd};
    if (main && main->tty) {
        int const terminal = main->workload_side.get();
        io = {.stdin_fd = terminal,
              .stdout_fd = terminal,
              .stderr_fd = terminal,
              .controlling_terminal = true};
    } else if (main) {
        io.stdin_fd = main->workload_side.get();
    }
    trace("starting the workload");
    pid_t const pid = TRY_CTX(start_workload(prepared.workload, io), "start the workload");
    main.reset(); // the workload has its end; the agent has the other
    forward_stop_requests_to(pid);
    int const status = wait_for_workload(pid);
    if (stop_requested()) {
        log("the host asked the VM to stop; the workload was sent SIGTERM");
    }
    return status;
}

int run_guarded(std::function<Result<int>()> const& boot) {
    try {
        auto result = boot();
        if (!result) {
            log("boot stopped: " + result.error().text());
            return boot_failure_status;
        }
        log("workload exited with status " + std::to_string(*result));
        return *result;
    } catch (std::exception const& e) {
        log(std::string("boot stopped: internal error: ") + e.what());
        return boot_failure_status;
    }
}

void end_leftovers(ProcessOwner owner) {
    auto const stopped = stop_remaining_processes(stop_patience, owner);
    if (stopped.reaped > 0) {
        log("ended " + std::to_string(stopped.reaped) + " leftover process(es)" +
            (stopped.needed_sigkill ? ", some only by SIGKILL" : ""));
    }
    trace("leftover processes ended");
    ::sync();
}

} // namespace microvm::guest
