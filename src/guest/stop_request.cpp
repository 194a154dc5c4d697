#include "guest/stop_request.hpp"

#include <signal.h>
#include <sys/reboot.h>
#include <unistd.h>

#include <csignal>

namespace microvm::guest {
namespace {

volatile std::sig_atomic_t requested = 0;
volatile std::sig_atomic_t workload_group = 0;

// Only async-signal-safe calls: kill(2).
void on_stop_request(int) {
    requested = 1;
    if (workload_group > 0) {
        ::kill(-workload_group, SIGTERM);
    }
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
