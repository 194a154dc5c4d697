#include "base/subreaper.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <thread>

namespace microvm::base {

namespace {

// The pids listed in /proc/self/task/*/children for the main thread (the only one that forks
// here); needs CONFIG_PROC_CHILDREN, which distribution kernels have.
void kill_children() {
    std::ifstream list("/proc/self/task/" + std::to_string(::getpid()) + "/children");
    pid_t pid = 0;
    while (list >> pid) {
        ::kill(pid, SIGKILL);
    }
}

} // namespace

Result<void> become_subreaper() {
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
        return fail_errno("prctl(PR_SET_CHILD_SUBREAPER)");
    }
    return {};
}

void reap_orphans(std::chrono::milliseconds grace) {
    auto const deadline = std::chrono::steady_clock::now() + grace;
    bool killed = false;
    for (;;) {
        pid_t const pid = ::waitpid(-1, nullptr, WNOHANG);
        if (pid > 0) {
            continue;
        }
        if (pid < 0 && errno != EINTR) {
            return; // ECHILD: none left
        }
        if (!killed && std::chrono::steady_clock::now() >= deadline) {
            kill_children();
            killed = true;
        }
        // Orphans exit within milliseconds of their parent (by its death signal); polling
        // briefly is simpler than a pidfd per process this code never started.
        std::this_thread::sleep_for(std::chrono::milliseconds(killed ? 1 : 10));
    }
}

} // namespace microvm::base
