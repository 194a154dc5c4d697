#include "contract/exec_channel.hpp"

#include <cstring>
#include <nlohmann/json.hpp>

#include "contract/json_fields.hpp"

namespace microvm::contract {

namespace {

using nlohmann::json;

// argv and env entries at most: bounds the work of decoding a request before the frame limit
// does (64 KiB of one-byte strings would be 32k entries).
constexpr std::size_t max_exec_strings = 4096;

void put_u32(std::string& out, std::uint32_t value) {
    for (int shift = 0; shift < 32; shift += 8) {
        out.push_back(static_cast<char>((value >> shift) & 0xff));
    }
}

std::uint32_t get_u32(char const* bytes) {
    std::uint32_t value = 0;
    for (int i = 3; i >= 0; --i) {
        value = (value << 8) | static_cast<unsigned char>(bytes[i]);
    }
    return value;
}

bool known_type(std::uint8_t type) {
    return (type >= 1 && type <= 7) || (type >= 16 && type <= 21);
}

Result<void> read_strings_bounded(json const& object, char const* key,
                                  std::vector<std::string>& out) {
    TRY(read_strings(object, key, key, out));
    if (out.size() > max_exec_strings) {
        return fail(std::string(key) + " has more than " + std::to_string(max_exec_strings) +
                    " entries");
    }
    return {};
}

} // namespace

bool is_agent_frame(ExecFrameType type) {
    return static_cast<std::uint8_t>(type) >= 16;
}

char const* to_string(ExecFrameType type) {
    switch (type) {
    case ExecFrameType::open:
        return "open";
    case ExecFrameType::stdin_data:
        return "stdin";
    case ExecFrameType::stdin_close:
        return "stdin-close";
    case ExecFrameType::signal:
        return "signal";
    case ExecFrameType::resize:
        return "resize";
    case ExecFrameType::output_credit:
        return "output-credit";
    case ExecFrameType::hangup:
        return "hangup";
    case ExecFrameType::started:
        return "started";
    case ExecFrameType::stdout_data:
        return "stdout";
    case ExecFrameType::stderr_data:
        return "stderr";
    case ExecFrameType::stdin_credit:
        return "stdin-credit";
    case ExecFrameType::exited:
        return "exited";
    case ExecFrameType::failed:
        return "failed";
    }
    return "unknown";
}

void append_exec_frame(std::string& out, ExecFrameType type, std::uint32_t session,
                       std::string_view payload) {
    put_u32(out, static_cast<std::uint32_t>(payload.size()));
    out.push_back(static_cast<char>(type));
    out.append(3, '\0');
    put_u32(out, session);
    out.append(payload);
}

std::string encode_exec_u32(std::uint32_t value) {
    std::string payload;
    put_u32(payload, value);
    return payload;
}

void append_exec_frame_u32(std::string& out, ExecFrameType type, std::uint32_t session,
                           std::uint32_t value) {
    append_exec_frame(out, type, session, encode_exec_u32(value));
}

Result<std::uint32_t> exec_frame_u32(ExecFrame const& frame) {
    if (frame.payload.size() != 4) {
        return fail(std::string(to_string(frame.type)) + " frame of " +
                    std::to_string(frame.payload.size()) + " bytes, not 4");
    }
    return get_u32(frame.payload.data());
}

ExecFrameDecoder::ExecFrameDecoder() : m_buffer(exec_frame_header_size + max_exec_frame_payload) {}

std::span<char> ExecFrameDecoder::space() {
    if (m_begin > 0 && m_end == m_buffer.size()) {
        std::memmove(m_buffer.data(), m_buffer.data() + m_begin, m_end - m_begin);
        m_end -= m_begin;
        m_begin = 0;
    }
    if (m_begin == m_end) {
        m_begin = m_end = 0;
    }
    return {m_buffer.data() + m_end, m_buffer.size() - m_end};
}

void ExecFrameDecoder::commit(std::size_t bytes) {
    m_end += std::min(bytes, m_buffer.size() - m_end);
}

Result<std::optional<ExecFrame>> ExecFrameDecoder::next() {
    std::size_t const held = m_end - m_begin;
    if (held < exec_frame_header_size) {
        return std::nullopt;
    }
    char const* header = m_buffer.data() + m_begin;
    std::uint32_t const length = get_u32(header);
    auto const type = static_cast<std::uint8_t>(header[4]);
    if (length > max_exec_frame_payload) {
        return fail("frame of " + std::to_string(length) + " bytes; the limit is " +
                    std::to_string(max_exec_frame_payload));
    }
    if (header[5] != 0 || header[6] != 0 || header[7] != 0) {
        return fail("frame header with nonzero reserved bytes");
    }
    if (!known_type(type)) {
        return fail("frame of unknown type " + std::to_string(type));
    }
    if (held < exec_frame_header_size + length) {
        return std::nullopt;
    }
    ExecFrame frame{.type = static_cast<ExecFrameType>(type),
                    .session = get_u32(header + 8),
                    .payload = std::string(header + exec_frame_header_size, length)};
    m_begin += exec_frame_header_size + length;
    return frame;
}

std::string encode_exec_request(ExecRequest const& request) {
    json out = {{"argv", request.argv}, {"env", request.env}};
    if (!request.cwd.empty()) {
        out["cwd"] = request.cwd;
    }
    if (!request.user.empty()) {
        out["user"] = request.user;
    }
    if (request.tty) {
        out["tty"] = true;
        out["rows"] = request.rows;
        out["cols"] = request.cols;
    }
    if (request.stdin_open) {
        out["stdin"] = true;
    }
    if (request.detach) {
        out["detach"] = true;
    }
    if (request.attach) {
        out["attach"] = true;
    }
    // Bytes that are not UTF-8 become U+FFFD rather than an exception out of the library.
    return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<ExecRequest> decode_exec_request(std::string_view text) {
    json const root = json::parse(text, nullptr, false);
    if (root.is_discarded()) {
        return fail("exec request is not valid JSON");
    }
    TRY(expect_object(root, "exec request"));
    ExecRequest request;
    TRY(read_bool(root, "attach", "attach", request.attach));
    TRY(read_strings_bounded(root, "argv", request.argv));
    if (request.attach ? !request.argv.empty()
                       : request.argv.empty() || request.argv.front().empty()) {
        return fail(request.attach ? "argv must be empty to attach" : "argv must name a command");
    }
    TRY(read_strings_bounded(root, "env", request.env));
    for (std::size_t i = 0; i < request.env.size(); ++i) {
        auto const equals = request.env[i].find('=');
        if (equals == 0 || equals == std::string::npos) {
            return fail("env[" + std::to_string(i) + "] is not KEY=VALUE");
        }
    }
    TRY(read_string(root, "cwd", "cwd", request.cwd));
    if (!request.cwd.empty() && request.cwd.front() != '/') {
        return fail("cwd must be an absolute path: " + request.cwd);
    }
    TRY(read_string(root, "user", "user", request.user));
    TRY(read_bool(root, "tty", "tty", request.tty));
    TRY(read_unsigned(root, "rows", "rows", request.rows));
    TRY(read_unsigned(root, "cols", "cols", request.cols));
    TRY(read_bool(root, "stdin", "stdin", request.stdin_open));
    TRY(read_bool(root, "detach", "detach", request.detach));
    return request;
}

std::string encode_window_size(ExecWindowSize size) {
    std::string out;
    put_u32(out, (static_cast<std::uint32_t>(size.cols) << 16) | size.rows);
    return out;
}

Result<ExecWindowSize> decode_window_size(std::string_view payload) {
    if (payload.size() != 4) {
        return fail("resize frame of " + std::to_string(payload.size()) + " bytes, not 4");
    }
    std::uint32_t const value = get_u32(payload.data());
    return ExecWindowSize{.rows = static_cast<std::uint16_t>(value & 0xffff),
                          .cols = static_cast<std::uint16_t>(value >> 16)};
}

std::string encode_exec_failure(ExecFailure const& failure) {
    std::string out;
    put_u32(out, failure.status);
    out.append(failure.message.substr(0, max_exec_failure_message));
    return out;
}

Result<ExecFailure> decode_exec_failure(std::string_view payload) {
    if (payload.size() < 4) {
        return fail("failed frame of " + std::to_string(payload.size()) + " bytes, under 4");
    }
    std::uint32_t const status = get_u32(payload.data());
    if (status > 255) {
        return fail("failed frame with status " + std::to_string(status) + ", over 255");
    }
    return ExecFailure{.status = status,
                       .message = std::string(payload.substr(4, max_exec_failure_message))};
}

std::string terminal_safe(std::string_view text) {
    std::string safe(text);
    for (std::size_t i = 0; i < safe.size(); ++i) {
        auto const byte = static_cast<unsigned char>(safe[i]);
        auto const next = i + 1 < safe.size() ? static_cast<unsigned char>(safe[i + 1]) : 0;
        if ((byte < 0x20 && byte != '\n' && byte != '\t') || byte == 0x7f) {
            safe[i] = '?';
        } else if (byte == 0xc2 && next >= 0x80 && next <= 0x9f) {
            safe[i] = '?';
            safe[i + 1] = '?';
        }
    }
    return safe;
}

Result<void> ExecCredit::spend(std::size_t bytes) {
    if (bytes > m_available) {
        return fail(std::to_string(bytes) + " bytes of data with a credit of " +
                    std::to_string(m_available));
    }
    m_available -= static_cast<std::uint32_t>(bytes);
    return {};
}

Result<void> ExecCredit::grant(std::uint32_t bytes) {
    if (bytes > exec_window - m_available) {
        return fail("a credit of " + std::to_string(bytes) + " bytes would exceed the window of " +
                    std::to_string(exec_window));
    }
    m_available += bytes;
    return {};
}

} // namespace microvm::contract
