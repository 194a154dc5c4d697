#include "guest/stop_request.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/reboot.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

#include "contract/guest_protocol.hpp"
#include "guest/console.hpp"
#include "guest/ports.hpp"

namespace microvm::guest {
namespace {

volatile std::sig_atomic_t requested = 0;
volatile std::sig_atomic_t workload_group = 0;
// The control port, or -1; kept open for the life of PID 1.
volatile std::sig_atomic_t control_fd = -1;

// Only async-signal-safe calls: kill(2).
void on_stop_request(int) {
    requested = 1;
    if (workload_group > 0) {
        ::kill(-workload_group, SIGTERM);
    }
}

// Drains the control port; any byte is a stop request. SIGIO also comes when the host end
// connects or disconnects, with nothing to read: not a request. Only read(2) and kill(2).
void on_control_port(int) {
    int const saved_errno = errno;
    char buffer[64];
    bool got = false;
    ssize_t n;
    while (control_fd >= 0 && (n = ::read(control_fd, buffer, sizeof(buffer))) != 0) {
        if (n > 0) {
            got = true;
        } else if (errno != EINTR) {
            break; // EAGAIN: drained
        }
    }
    if (got) {
        on_stop_request(SIGIO);
    }
    errno = saved_errno;
}

} // namespace

void install_stop_request_handlers() {
    // Only PID 1 of the VM: anywhere else this would change the whole machine's Ctrl-Alt-Del.
    if (::getpid() == 1) {
        ::reboot(RB_DISABLE_CAD);
    }
    struct sigaction action {};
    action.sa_handler = on_stop_request;
    sigemptyset(&action.sa_mask);
    // No SA_RESTART: a blocking wait4 returns EINTR, so the caller notices the request.
    action.sa_flags = 0;
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);
}

Result<void> watch_control_port(std::string const& device) {
    int const fd = ::open(device.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        return fail_errno("open control port " + device);
    }
    control_fd = fd;
    struct sigaction action {};
    action.sa_handler = on_control_port;
    sigemptyset(&action.sa_mask);
    // Not interrupting blocked calls matters less here than for SIGTERM: the handler forwards
    // the request itself, and wait4 returns when the workload ends.
    action.sa_flags = 0;
    ::sigaction(SIGIO, &action, nullptr);
    int const flags = ::fcntl(fd, F_GETFL);
    if (::fcntl(fd, F_SETOWN, ::getpid()) < 0 || flags < 0 ||
        ::fcntl(fd, F_SETFL, flags | O_ASYNC) < 0) {
        auto error = fail_errno("set up SIGIO on control port " + device);
        control_fd = -1;
        ::close(fd);
        return error;
    }
    // A request written before O_ASYNC was set raised no signal.
    on_control_port(SIGIO);
    return {};
}

void watch_host_stop_requests(std::string const& class_dir, std::string const& dev_dir) {
    auto const found = discover_ports(class_dir, dev_dir);
    auto const port = found.find(contract::control_port_name);
    if (port == found.end()) {
        log(std::string("no virtio-serial port named ") + contract::control_port_name +
            "; the host can only stop the VM by force");
        return;
    }
    if (auto watched = watch_control_port(port->second); !watched) {
        log(watched.error().text() + "; the host can only stop the VM by force");
    }
}

void forward_stop_requests_to(pid_t workload) {
    workload_group = workload;
    if (requested) {
        ::kill(-workload, SIGTERM);
    }
}

bool stop_requested() {
    return requested != 0;
}

} // namespace microvm::guest
