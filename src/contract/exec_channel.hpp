// The exec channel (DESIGN.md §3, Channels): the frames between an exec client, the runner and
// microvm-init's exec agent, with their limits.
//
// Two hops carry the same frames. Runner ↔ agent is one stream for the whole VM (a
// virtio-serial port on qemu, a vsock port on libkrun) with many sessions multiplexed by the
// frame's session number. Client ↔ runner is one unix-socket connection per session (the VM's
// exec socket), where the session number is 0 and means "this connection".
//
// Flow control is by credit, per session, per direction and per hop: a sender may have at most
// the bytes of data its receiver granted in flight (the first `exec_window` are granted when
// the session opens), and the receiver grants more as it passes data on. So a reader that
// stops reading stalls its own session only, and no hop buffers more than `exec_window` bytes
// of a session's data in either direction. Data beyond the credit, a frame that is too long,
// an unknown type or a malformed payload is a protocol error: the receiver ends the session or
// the connection and says why.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace microvm::contract {

enum class ExecFrameType : std::uint8_t {
    // Towards the agent.
    open = 1,          // ExecRequest as JSON: starts the session
    stdin_data = 2,    // bytes for the process's stdin (or terminal)
    stdin_close = 3,   // no more stdin: EOF (on a terminal, the EOF character)
    signal = 4,        // u32 signal number for the process
    resize = 5,        // ExecWindowSize: the terminal's new size
    output_credit = 6, // u32: this many more bytes of stdout+stderr may be sent
    hangup = 7,        // the client went away: SIGHUP now, SIGKILL after a grace period
    // Towards the client.
    started = 16,      // u32 pid of the process in the guest
    stdout_data = 17,  // bytes the process wrote to stdout (or its terminal)
    stderr_data = 18,  // bytes the process wrote to stderr
    stdin_credit = 19, // u32: this many more bytes of stdin may be sent
    exited = 20,       // u32 status: exit code, or 128+N after signal N; ends the session
    failed = 21,       // ExecFailure: the session could not start or broke; ends it
};

// Frames the agent sends (the hostile side of the runner's channel) are exactly these.
bool is_agent_frame(ExecFrameType type);
char const* to_string(ExecFrameType type);

// The header: u32 payload length, u8 type, three zero bytes, u32 session (little-endian).
inline constexpr std::size_t exec_frame_header_size = 12;
// A frame's payload at most: an ExecRequest (argv, env) must fit, and it bounds what a decoder
// holds. A longer length field (up to 4 GiB) is refused before anything is read.
inline constexpr std::size_t max_exec_frame_payload = 64 * 1024;
// What a sender puts in one data frame at most, so a bulk transfer interleaves with the other
// sessions' frames.
inline constexpr std::size_t max_exec_data_chunk = 32 * 1024;
// Credit granted when a session opens, per direction: also the most any hop buffers of a
// session's data in one direction. 256 KiB keeps a virtio-serial port streaming (its ring holds
// 128 KiB) without making 64 stalled sessions cost more than 32 MiB.
inline constexpr std::uint32_t exec_window = 256 * 1024;
// Sessions open at once on one VM; the runner refuses more.
inline constexpr std::size_t max_exec_sessions = 64;
// An ExecFailure's message at most.
inline constexpr std::size_t max_exec_failure_message = 4096;

struct ExecFrame {
    ExecFrameType type = ExecFrameType::open;
    std::uint32_t session = 0;
    std::string payload;
};

// Appends one frame to `out`. The payload must be within max_exec_frame_payload.
void append_exec_frame(std::string& out, ExecFrameType type, std::uint32_t session,
                       std::string_view payload = {});
// A frame whose payload is one u32 (signal, credits, started, exited).
void append_exec_frame_u32(std::string& out, ExecFrameType type, std::uint32_t session,
                           std::uint32_t value);
// Such a frame's payload.
std::string encode_exec_u32(std::uint32_t value);
// The u32 of such a frame; an error when the payload is not exactly 4 bytes.
Result<std::uint32_t> exec_frame_u32(ExecFrame const& frame);

// Splits a byte stream into frames, holding at most one header and one payload: the caller
// reads straight into space(), commits what it read, and takes frames with next().
class ExecFrameDecoder {
public:
    ExecFrameDecoder();
    // Free space to read into; never empty while the decoder holds no complete frame.
    std::span<char> space();
    void commit(std::size_t bytes);
    // The next complete frame, std::nullopt when more bytes are needed, or an error for a
    // length over max_exec_frame_payload, a nonzero reserved byte or an unknown type. After an
    // error the stream is out of step; the caller drops it.
    Result<std::optional<ExecFrame>> next();
    // Bytes received and not yet returned in a frame.
    std::size_t buffered() const { return m_end - m_begin; }

private:
    std::vector<char> m_buffer;
    std::size_t m_begin = 0;
    std::size_t m_end = 0;
};

// What an exec runs, as the client asks for it.
struct ExecRequest {
    std::vector<std::string> argv; // never empty
    // "KEY=VALUE", added to (and overriding) the VM's own environment.
    std::vector<std::string> env;
    // Empty: the workload's working directory.
    std::string cwd;
    // USER[:GROUP], names or numbers, resolved in the VM's /etc/passwd and /etc/group. Empty:
    // the workload's user.
    std::string user;
    // A pseudo-terminal for stdin, stdout and stderr (all output comes as stdout_data).
    bool tty = false;
    std::uint16_t rows = 0;
    std::uint16_t cols = 0;
    // False: the process's stdin is /dev/null.
    bool stdin_open = false;
    // The process runs on without the client: stdio is /dev/null, and the client's going away
    // does not hang it up. The session ends once it has started.
    bool detach = false;
    // No new process: the session attaches to the VM's workload, when it was started with
    // GuestConfig::interactive or tty (argv is then empty). One client at a time; its going
    // away detaches it and leaves the workload alone. Its stdin goes to the workload's; with
    // a terminal, the terminal's output comes back (the first attach also gets what was
    // written before it, up to max_attach_replay bytes); rows and cols resize it.
    bool attach = false;
};

// What the agent keeps of a workload terminal's output until the first client attaches.
inline constexpr std::size_t max_attach_replay = 64 * 1024;

std::string encode_exec_request(ExecRequest const& request);
// Errors name the field ("argv[2] must be a string", "argv must not be empty").
Result<ExecRequest> decode_exec_request(std::string_view json);

struct ExecWindowSize {
    std::uint16_t rows = 0;
    std::uint16_t cols = 0;
};
std::string encode_window_size(ExecWindowSize size);
Result<ExecWindowSize> decode_window_size(std::string_view payload);

// Why a session could not run (or broke), and the status a client exits with: 125 for
// microvm's own failures (no such user, too many sessions), as `microvm run` does.
struct ExecFailure {
    std::uint32_t status = 125;
    std::string message;
};
std::string encode_exec_failure(ExecFailure const& failure);
// The message is cut to max_exec_failure_message bytes.
Result<ExecFailure> decode_exec_failure(std::string_view payload);

// `text` from the guest (a failure's message) made safe to print on a terminal: control
// characters but newline and tab, and C1 controls in their UTF-8 form, become '?', so that a
// hostile guest cannot send escape sequences through an error message.
std::string terminal_safe(std::string_view text);

// The bytes a sender may still send on one session in one direction.
class ExecCredit {
public:
    ExecCredit() = default;
    explicit ExecCredit(std::uint32_t initial) : m_available(initial) {}
    std::uint32_t available() const { return m_available; }
    // Spends `bytes`; an error (and nothing spent) when that is more than was granted.
    Result<void> spend(std::size_t bytes);
    // Adds a grant; an error when it would put more than exec_window in flight.
    Result<void> grant(std::uint32_t bytes);

private:
    std::uint32_t m_available = exec_window;
};

// The name of the runner's exec socket in the VM's runtime directory (0700), mode 0600.
inline constexpr char exec_socket_name[] = "exec.sock";

} // namespace microvm::contract
