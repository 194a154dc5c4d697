#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include "guest/stop_request.hpp"

namespace microvm::guest {
namespace {

// Starts a "workload" that leads its own session, as start_workload's child does, and waits
// until it does.
pid_t start_session_leader() {
    int ready[2];
    if (::pipe(ready) != 0) {
        _exit(10);
    }
    pid_t const pid = ::fork();
    if (pid == 0) {
        ::signal(SIGTERM, SIG_DFL);
        ::setsid();
        ::close(ready[0]);
        ::close(ready[1]);
        while (true) {
            ::pause();
        }
    }
    ::close(ready[1]);
    char byte = 0;
    (void)::read(ready[0], &byte, 1); // end of file once the child closed its end
    ::close(ready[0]);
    return pid;
}

bool ended_by_sigterm(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
    }
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM;
}

// Each case runs in a child process: the handlers are process-wide.
int run_isolated(void (*body)()) {
    pid_t const pid = ::fork();
    if (pid == 0) {
        body();
        _exit(0);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

TEST(StopRequest, SigtermToInitIsPassedToTheWorkloadGroup) {
    EXPECT_EQ(run_isolated([] {
                  install_stop_request_handlers();
                  pid_t const workload = start_session_leader();
                  forward_stop_requests_to(workload);
                  if (stop_requested()) {
                      _exit(1);
                  }
                  ::kill(::getpid(), SIGTERM);
                  _exit(ended_by_sigterm(workload) && stop_requested() ? 0 : 2);
              }),
              0);
}

TEST(StopRequest, ARequestBeforeTheWorkloadStartedIsPassedOnAtOnce) {
    EXPECT_EQ(run_isolated([] {
                  install_stop_request_handlers();
                  ::kill(::getpid(), SIGINT);
                  pid_t const workload = start_session_leader();
                  forward_stop_requests_to(workload);
                  _exit(ended_by_sigterm(workload) ? 0 : 2);
              }),
              0);
}

} // namespace
} // namespace microvm::guest
