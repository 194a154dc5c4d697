// Vm::exec(): the client end of the exec channel (contract/exec_channel.hpp) on the VM's exec
// socket, and the thread that moves the command's streams between the caller's descriptors
// and that socket.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>

#include <microvm/microvm.hpp>

#include "base/fd.hpp"
#include "base/sys.hpp"
#include "base/unix_socket.hpp"
#include "contract/exec_channel.hpp"
#include "host/microvm/vm_impl.hpp"
#include "host/state/vm_dir.hpp"

namespace microvm {

namespace {

using contract::ExecFrame;
using contract::ExecFrameType;

// How long the VM's agent has to start the command: a VM that was just started is still
// booting (about a second under TCG); one that never answers has no agent.
constexpr std::chrono::seconds start_timeout{60};

// Reads one frame, waiting at most until `deadline`.
Result<ExecFrame> read_frame(int fd, contract::ExecFrameDecoder& decoder,
                             std::chrono::steady_clock::time_point deadline) {
    while (true) {
        if (auto frame = TRY(decoder.next())) {
            return std::move(*frame);
        }
        auto const left = std::chrono::ceil<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd ready{.fd = fd, .events = POLLIN, .revents = 0};
        int const polled =
            ::poll(&ready, 1, static_cast<int>(std::max<long long>(0, left.count())));
        if (polled < 0 && errno != EINTR) {
            return fail_errno("poll the exec socket");
        }
        if (polled == 0) {
            return fail("the VM's exec agent did not answer within " +
                        std::to_string(start_timeout.count()) + " s");
        }
        auto space = decoder.space();
        ssize_t const n = ::recv(fd, space.data(), space.size(), 0);
        if (n == 0) {
            return fail("the VM's runner closed the exec socket (the VM is stopping)");
        }
        if (n < 0 && errno != EINTR) {
            return fail_errno("read the exec socket");
        }
        decoder.commit(n > 0 ? static_cast<std::size_t>(n) : 0);
    }
}

} // namespace

struct ExecProcess::State {
    base::Fd socket;
    contract::ExecFrameDecoder decoder;
    int guest_pid = 0;
    bool detached = false;
    // An attach: the session ends without an exit status of its own.
    bool attached = false;
    std::string detach_keys;
    // How much of detach_keys the last stdin bytes matched (held back until decided).
    std::size_t keys_matched = 0;
    bool detached_by_keys = false;
    // The caller's ends of library-made pipes.
    base::Fd caller_stdin;
    base::Fd caller_stdout;
    base::Fd caller_stderr;
    // The relay's ends: where stdin is read, and where output goes (-1: dropped).
    base::Fd own_stdin;
    base::Fd own_stdout;
    base::Fd own_stderr;
    int stdin_source = -1;
    int stdout_sink = -1;
    int stderr_sink = -1;
    // Wakes the relay: close_stdin() or the destructor.
    base::Fd wake;
    std::atomic<bool> stdin_close_requested{false};
    std::atomic<bool> stopping{false};
    std::mutex send_lock;
    std::thread relay;
    std::optional<Result<int>> outcome;

    Result<void> send(std::string const& frame) {
        std::lock_guard const lock(send_lock);
        return base::sys::send_all(socket.get(), frame, "the exec socket");
    }

    void run_relay() {
        // A caller's pipe that is closed must end that stream, not the caller's process.
        sigset_t pipe_signal;
        sigemptyset(&pipe_signal);
        sigaddset(&pipe_signal, SIGPIPE);
        ::pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
        outcome = relay_loop();
        // The caller's output pipes reach EOF.
        own_stdout.reset();
        own_stderr.reset();
    }

    Result<int> relay_loop() {
        contract::ExecCredit stdin_credit;
        bool stdin_open = stdin_source >= 0;
        while (true) {
            // First: what the first read after "started" brought may be the whole session.
            if (auto const ended = TRY(handle_frames(stdin_credit))) {
                return *ended;
            }
            if (stdin_open && stdin_close_requested) {
                stdin_open = false;
                std::string frame;
                contract::append_exec_frame(frame, ExecFrameType::stdin_close, 0);
                (void)send(frame);
            }
            pollfd fds[3] = {
                {socket.get(), POLLIN, 0},
                {wake.get(), POLLIN, 0},
                {stdin_open && stdin_credit.available() > 0 ? stdin_source : -1, POLLIN, 0}};
            if (::poll(fds, 3, -1) < 0 && errno != EINTR) {
                return fail_errno("poll");
            }
            if (stopping) {
                return fail("the exec session was dropped");
            }
            if (fds[1].revents != 0) {
                std::uint64_t count = 0;
                (void)::read(wake.get(), &count, sizeof(count));
            }
            if (fds[2].revents != 0) {
                char buffer[contract::max_exec_data_chunk];
                std::size_t const want =
                    std::min<std::size_t>(sizeof(buffer), stdin_credit.available());
                ssize_t const n = ::read(stdin_source, buffer, want);
                std::string frame;
                if (n > 0) {
                    std::string const data =
                        pass_detach_keys(std::string_view(buffer, static_cast<std::size_t>(n)));
                    if (detached_by_keys) {
                        // What was typed before the keys still goes.
                        if (!data.empty()) {
                            contract::append_exec_frame(frame, ExecFrameType::stdin_data, 0, data);
                            (void)send(frame);
                        }
                        return 0;
                    }
                    (void)stdin_credit.spend(static_cast<std::size_t>(n));
                    if (!data.empty()) {
                        contract::append_exec_frame(frame, ExecFrameType::stdin_data, 0, data);
                    }
                } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                    if (attached && !detach_keys.empty()) {
                        // The end of a typist's input at a workload's terminal: the client is
                        // done, the workload is not (it may be attached to again).
                        detached_by_keys = true;
                        return 0;
                    }
                    stdin_open = false;
                    contract::append_exec_frame(frame, ExecFrameType::stdin_close, 0);
                }
                // A runner that has closed the session has its end queued: read on for it.
                if (!frame.empty() && !send(frame)) {
                    stdin_open = false;
                }
            }
            if (fds[0].revents == 0) {
                continue;
            }
            auto space = decoder.space();
            ssize_t const n = ::recv(socket.get(), space.data(), space.size(), MSG_DONTWAIT);
            if (n == 0) {
                if (attached) {
                    return 0; // the VM ended; its status is Vm::wait()'s
                }
                return fail("the VM's runner closed the exec session before the command ended "
                            "(the VM stopped)");
            }
            if (n < 0) {
                if (errno == EAGAIN || errno == EINTR) {
                    continue;
                }
                return fail_errno("read the exec socket");
            }
            decoder.commit(static_cast<std::size_t>(n));
        }
    }

    // Handles the frames decoded so far; the outcome once one ends the session.
    Result<std::optional<int>> handle_frames(contract::ExecCredit& stdin_credit) {
        while (auto frame = TRY(decoder.next())) {
            switch (frame->type) {
            case ExecFrameType::stdout_data:
            case ExecFrameType::stderr_data: {
                int& sink = frame->type == ExecFrameType::stdout_data ? stdout_sink : stderr_sink;
                if (sink >= 0 && !write_output(sink, frame->payload)) {
                    if (stopping) {
                        return fail("the exec session was dropped");
                    }
                    // Nobody reads the output any more: the command is hung up, as a process
                    // writing to a closed pipe would get SIGPIPE, and so is its status.
                    return 128 + SIGPIPE;
                }
                break;
            }
            case ExecFrameType::stdin_credit:
                TRY(stdin_credit.grant(TRY(contract::exec_frame_u32(*frame))));
                break;
            case ExecFrameType::exited:
                return static_cast<int>(TRY(contract::exec_frame_u32(*frame)));
            case ExecFrameType::failed:
                if (attached) {
                    // The channel went with the VM's end (or the agent dropped the attach);
                    // what happened to the workload is Vm::wait()'s to say.
                    return 0;
                }
                return fail(contract::terminal_safe(
                    TRY(contract::decode_exec_failure(frame->payload)).message));
            default:
                return fail(std::string("the runner sent an unexpected ") + to_string(frame->type) +
                            " frame");
            }
        }
        return std::nullopt;
    }

    // The bytes to send of `input`: all but a detach sequence, which is held back while it may
    // still be one and dropped (setting detached_by_keys) once it is. The credit is spent on
    // the whole input, which at most over-counts a few bytes.
    std::string pass_detach_keys(std::string_view input) {
        if (detach_keys.empty()) {
            return std::string(input);
        }
        std::string out;
        for (char c : input) {
            if (c == detach_keys[keys_matched]) {
                if (++keys_matched == detach_keys.size()) {
                    detached_by_keys = true;
                    return out;
                }
                continue;
            }
            out.append(detach_keys, 0, keys_matched);
            keys_matched = c == detach_keys[0] ? 1 : 0;
            if (keys_matched == 0) {
                out.push_back(c);
            }
        }
        return out;
    }

    // Writes to a caller's descriptor, which may be non-blocking, waiting for it to take more
    // but not past the ExecProcess being dropped. False when it is closed or broken.
    bool write_output(int fd, std::string_view bytes) {
        while (!bytes.empty()) {
            ssize_t const n = ::write(fd, bytes.data(), bytes.size());
            if (n >= 0) {
                bytes.remove_prefix(static_cast<std::size_t>(n));
                continue;
            }
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN) {
                return false;
            }
            pollfd fds[2] = {{fd, POLLOUT, 0}, {wake.get(), POLLIN, 0}};
            (void)::poll(fds, 2, -1);
            if (stopping) {
                return false;
            }
        }
        return true;
    }

    // Ends the relay thread: the runner sees the connection go and hangs the command up.
    void stop() {
        if (!relay.joinable()) {
            return;
        }
        stopping = true;
        ::shutdown(socket.get(), SHUT_RDWR);
        // A relay blocked writing into the caller's full pipe gets EPIPE once the caller's end
        // is gone.
        caller_stdout.reset();
        caller_stderr.reset();
        wake_relay();
        relay.join();
    }

    void wake_relay() {
        std::uint64_t const one = 1;
        (void)::write(wake.get(), &one, sizeof(one));
    }
};

ExecProcess::ExecProcess(std::unique_ptr<State> state) : m_state(std::move(state)) {}
ExecProcess::ExecProcess(ExecProcess&&) noexcept = default;

ExecProcess& ExecProcess::operator=(ExecProcess&& other) noexcept {
    if (this != &other) {
        if (m_state) {
            m_state->stop();
        }
        m_state = std::move(other.m_state);
    }
    return *this;
}

ExecProcess::~ExecProcess() {
    if (m_state) {
        m_state->stop();
    }
}

int ExecProcess::pid() const {
    return m_state->guest_pid;
}
int ExecProcess::stdin_fd() const {
    return m_state->caller_stdin.get();
}
int ExecProcess::stdout_fd() const {
    return m_state->caller_stdout.get();
}
int ExecProcess::stderr_fd() const {
    return m_state->caller_stderr.get();
}

Result<int> ExecProcess::wait() {
    if (m_state->detached) {
        return 0;
    }
    if (m_state->relay.joinable()) {
        m_state->relay.join();
    }
    return *m_state->outcome;
}

Result<void> ExecProcess::signal(int signo) {
    if (signo <= 0 || signo >= NSIG) {
        return fail("signal " + std::to_string(signo) + " does not exist");
    }
    std::string frame;
    contract::append_exec_frame_u32(frame, ExecFrameType::signal, 0,
                                    static_cast<std::uint32_t>(signo));
    return m_state->send(frame);
}

Result<void> ExecProcess::resize(std::uint16_t rows, std::uint16_t cols) {
    std::string frame;
    contract::append_exec_frame(frame, ExecFrameType::resize, 0,
                                contract::encode_window_size({.rows = rows, .cols = cols}));
    return m_state->send(frame);
}

Result<void> ExecProcess::close_stdin() {
    if (m_state->caller_stdin) {
        m_state->caller_stdin.reset(); // the relay reads EOF and passes it on
        return {};
    }
    m_state->stdin_close_requested = true;
    m_state->wake_relay();
    return {};
}

namespace {

struct SessionStart {
    std::string what;
    contract::ExecRequest request;
    ExecStdio stdin_stream;
    ExecStdio stdout_stream;
    ExecStdio stderr_stream;
    std::string detach_keys;
};

// Connects to the VM's exec socket, asks for the session and, once it has started, sets up
// the streams and the relay thread.
Result<ExecProcess> start_session(Vm const& vm, SessionStart const& start) {
    auto const info = TRY_CTX(vm.status(), start.what);
    if (info.status != VmStatus::running) {
        return std::unexpected(
            Error::message("vm " + vm.name() + " is not running (" + to_string(info.status) + ")"));
    }
    auto state = std::make_unique<ExecProcess::State>();
    auto const socket_path = state::VmDir(vm.data_dir()).runtime_dir() / contract::exec_socket_name;
    // A VM that has just been started may not have its socket yet: its runner makes it
    // before it starts the VMM.
    auto const give_up = std::chrono::steady_clock::now() + start_timeout;
    while (true) {
        auto connected = base::connect_unix(socket_path.string());
        if (connected) {
            state->socket = std::move(*connected);
            break;
        }
        bool const not_yet = connected.error().errno_value() == ENOENT ||
                             connected.error().errno_value() == ECONNREFUSED;
        if (!not_yet || vm.vmm_started() || !vm.alive() ||
            std::chrono::steady_clock::now() > give_up) {
            return std::unexpected(std::move(connected.error()).context(start.what));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }

    std::string const payload = contract::encode_exec_request(start.request);
    if (payload.size() > contract::max_exec_frame_payload) {
        return std::unexpected(Error::message("the command and its environment take " +
                                              std::to_string(payload.size()) +
                                              " bytes; the limit is " +
                                              std::to_string(contract::max_exec_frame_payload))
                                   .context(start.what));
    }
    std::string open;
    contract::append_exec_frame(open, ExecFrameType::open, 0, payload);
    TRY_CTX(base::sys::send_all(state->socket.get(), open, "the exec socket"), start.what);

    auto const deadline = std::chrono::steady_clock::now() + start_timeout;
    auto const answer =
        TRY_CTX(read_frame(state->socket.get(), state->decoder, deadline), start.what);
    if (answer.type == ExecFrameType::failed) {
        return std::unexpected(
            Error::message(
                contract::terminal_safe(TRY(contract::decode_exec_failure(answer.payload)).message))
                .context(start.what));
    }
    if (answer.type != ExecFrameType::started) {
        return std::unexpected(Error::message(std::string("the runner answered with a ") +
                                              to_string(answer.type) + " frame")
                                   .context(start.what));
    }
    state->guest_pid = static_cast<int>(TRY(contract::exec_frame_u32(answer)));
    if (start.request.detach) {
        state->detached = true;
        return ExecProcess(std::move(state));
    }
    state->attached = start.request.attach;
    state->detach_keys = start.detach_keys;

    auto stream = [&](ExecStdio const& stdio, bool input, base::Fd& caller, base::Fd& own,
                      int& endpoint) -> Result<void> {
        if (stdio.kind == ExecStdio::Kind::fd) {
            endpoint = stdio.fd;
        } else if (stdio.kind == ExecStdio::Kind::pipe) {
            base::sys::Pipe pipe = TRY(base::sys::make_pipe());
            caller = std::move(input ? pipe.write : pipe.read);
            own = std::move(input ? pipe.read : pipe.write);
            endpoint = own.get();
        }
        return {};
    };
    TRY(stream(start.stdin_stream, true, state->caller_stdin, state->own_stdin,
               state->stdin_source));
    TRY(stream(start.stdout_stream, false, state->caller_stdout, state->own_stdout,
               state->stdout_sink));
    TRY(stream(start.stderr_stream, false, state->caller_stderr, state->own_stderr,
               state->stderr_sink));
    state->wake = base::Fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!state->wake) {
        return fail_errno("eventfd");
    }
    ExecProcess::State* raw = state.get();
    // The relay is the library's thread, not the caller's: it takes none of the process's
    // signals, whatever the caller's mask is (a new thread inherits its creator's).
    sigset_t all;
    sigset_t previous;
    sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &previous);
    state->relay = std::thread([raw] { raw->run_relay(); });
    ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    return ExecProcess(std::move(state));
}

} // namespace

Result<ExecProcess> Vm::exec(ExecOptions const& options) const {
    std::string const what = "exec in vm " + m_impl->name;
    if (options.command.empty() || options.command.front().empty()) {
        return std::unexpected(Error::message("no command given").context(what));
    }
    return start_session(
        *this, {.what = what,
                .request = {.argv = options.command,
                            .env = options.env,
                            .cwd = options.workdir,
                            .user = options.user,
                            .tty = options.tty,
                            .rows = options.rows,
                            .cols = options.cols,
                            .stdin_open = !options.detach &&
                                          options.stdin_stream.kind != ExecStdio::Kind::closed,
                            .detach = options.detach,
                            .attach = false},
                .stdin_stream = options.stdin_stream,
                .stdout_stream = options.stdout_stream,
                // A terminal carries all output on stdout.
                .stderr_stream = options.tty ? ExecStdio::closed_stream() : options.stderr_stream,
                .detach_keys = {}});
}

Result<ExecProcess> Vm::attach(AttachOptions const& options) const {
    return start_session(*this, {.what = "attach to vm " + m_impl->name,
                                 .request = {.argv = {},
                                             .env = {},
                                             .cwd = {},
                                             .user = {},
                                             .tty = false,
                                             .rows = options.rows,
                                             .cols = options.cols,
                                             .stdin_open = false,
                                             .detach = false,
                                             .attach = true},
                                 .stdin_stream = options.stdin_stream,
                                 .stdout_stream = options.stdout_stream,
                                 .stderr_stream = ExecStdio::closed_stream(),
                                 .detach_keys = options.detach_keys});
}

bool ExecProcess::detached() const {
    return m_state->detached_by_keys;
}

} // namespace microvm
