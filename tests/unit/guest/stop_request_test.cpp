#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <string>

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

// A FIFO stands in for the virtio-serial control port: both raise SIGIO for an O_ASYNC reader.
std::string make_control_fifo() {
    char dir[] = "/tmp/microvm-stop-request-test-XXXXXX";
    if (::mkdtemp(dir) == nullptr) {
        _exit(10);
    }
    std::string const path = std::string(dir) + "/control";
    if (::mkfifo(path.c_str(), 0600) != 0) {
        _exit(11);
    }
    return path;
}

void remove_control_fifo(std::string const& path) {
    ::unlink(path.c_str());
    ::rmdir(path.substr(0, path.rfind('/')).c_str());
}

TEST(StopRequest, ALineOnTheControlPortIsPassedToTheWorkloadGroup) {
    EXPECT_EQ(run_isolated([] {
                  install_stop_request_handlers();
                  std::string const fifo = make_control_fifo();
                  if (!watch_control_port(fifo)) {
                      _exit(3);
                  }
                  int const host = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
                  pid_t const workload = start_session_leader();
                  forward_stop_requests_to(workload);
                  if (host < 0 || stop_requested()) {
                      _exit(1);
                  }
                  (void)::write(host, "stop\n", 5);
                  bool const ended = ended_by_sigterm(workload);
                  remove_control_fifo(fifo);
                  _exit(ended && stop_requested() ? 0 : 2);
              }),
              0);
}

TEST(StopRequest, ALineWrittenBeforeTheWatchStartedStillCounts) {
    EXPECT_EQ(run_isolated([] {
                  install_stop_request_handlers();
                  std::string const fifo = make_control_fifo();
                  // O_RDWR: a FIFO opened for writing alone blocks until it has a reader.
                  int const host = ::open(fifo.c_str(), O_RDWR | O_CLOEXEC);
                  if (host < 0 || ::write(host, "stop\n", 5) != 5) {
                      _exit(1);
                  }
                  bool const watched = watch_control_port(fifo).has_value();
                  remove_control_fifo(fifo);
                  _exit(watched && stop_requested() ? 0 : 2);
              }),
              0);
}

TEST(StopRequest, AMissingControlPortIsAnError) {
    auto const watched = watch_control_port("/nonexistent/vport0p1");
    ASSERT_FALSE(watched);
    EXPECT_EQ(watched.error().text(),
              "open control port /nonexistent/vport0p1: No such file or directory");
}

} // namespace
} // namespace microvm::guest
