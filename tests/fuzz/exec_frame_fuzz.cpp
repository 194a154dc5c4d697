// The exec channel's frames (contract/exec_channel.hpp): the stream the runner reads from the
// agent in the VM (hostile) and from exec clients, split by ExecFrameDecoder, and the payloads
// a receiver then decodes. Input: one byte, then the stream. The byte's low 7 bits are the size
// of each read (0: as much as the decoder has space for), so frames arrive split at every point;
// its high bit repeats the stream to past the window and twice the decoder's buffer, which
// libFuzzer's inputs (4 KiB by default) never reach: so the buffer fills and wraps, frames reach
// the 64 KiB limit, and data overruns its credit.
//
// Checked: the decoder holds at most one header and one payload, always has space to read into
// while it waits for more, and returns frames that re-encode to exactly the bytes they came
// from; payloads decode within their limits (a failure's message, a status in 0..255) and an
// ExecRequest re-encodes to the same request; each session's credit, as a receiver seeing both
// directions keeps it, never exceeds the window, and a refused spend or grant changes nothing.
#include <algorithm>
#include <cstring>
#include <map>
#include <optional>

#include "contract/exec_channel.hpp"
#include "fuzz_support.hpp"

using namespace microvm;
using contract::ExecCredit;
using contract::ExecFrame;
using contract::ExecFrameType;

namespace {

// Strict UTF-8: no overlong forms, surrogates or code points past U+10FFFF.
bool valid_utf8(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        auto const byte = static_cast<unsigned char>(text[i]);
        std::size_t length = 0;
        std::uint32_t code = 0;
        if (byte < 0x80) {
            ++i;
            continue;
        } else if (byte >= 0xc2 && byte <= 0xdf) {
            length = 2;
            code = byte & 0x1f;
        } else if (byte >= 0xe0 && byte <= 0xef) {
            length = 3;
            code = byte & 0x0f;
        } else if (byte >= 0xf0 && byte <= 0xf4) {
            length = 4;
            code = byte & 0x07;
        } else {
            return false;
        }
        if (text.size() - i < length) {
            return false;
        }
        for (std::size_t k = 1; k < length; ++k) {
            auto const next = static_cast<unsigned char>(text[i + k]);
            if ((next & 0xc0) != 0x80) {
                return false;
            }
            code = (code << 6) | (next & 0x3f);
        }
        if ((length == 3 && (code < 0x800 || (code >= 0xd800 && code <= 0xdfff))) ||
            (length == 4 && (code < 0x10000 || code > 0x10ffff))) {
            return false;
        }
        i += length;
    }
    return true;
}

bool valid_utf8(contract::ExecRequest const& request) {
    for (auto const* strings : {&request.argv, &request.env}) {
        for (auto const& text : *strings) {
            if (!valid_utf8(text)) {
                return false;
            }
        }
    }
    return valid_utf8(request.cwd) && valid_utf8(request.user);
}

void check_request(std::string_view payload) {
    auto const request = contract::decode_exec_request(payload);
    if (!request) {
        return;
    }
    if (request->argv.empty() || request->argv.front().empty()) {
        fuzz::finding("exec request: decoded without a command");
    }
    // encode_exec_request turns bytes that are not UTF-8 into U+FFFD: no round trip for those.
    if (!valid_utf8(*request)) {
        return;
    }
    std::string const text = contract::encode_exec_request(*request);
    auto const again = contract::decode_exec_request(text);
    if (!again) {
        fuzz::finding("exec request: the encoded request does not decode (" + again.error().text() +
                      "):\n" + text);
    }
    // rows and cols are sent only with tty (they size the terminal), so only then compared.
    bool const same =
        again->argv == request->argv && again->env == request->env && again->cwd == request->cwd &&
        again->user == request->user && again->tty == request->tty &&
        again->stdin_open == request->stdin_open && again->detach == request->detach &&
        (!request->tty || (again->rows == request->rows && again->cols == request->cols));
    if (!same) {
        fuzz::finding("exec request: the request changes on a round trip through\n" + text +
                      "\nwhich encodes again as\n" + contract::encode_exec_request(*again));
    }
}

// One session's credit per direction, as a receiver that sees both directions keeps them:
// stdin_data spends what stdin_credit grants, stdout_data and stderr_data what output_credit
// grants.
struct Session {
    ExecCredit stdin_credit{contract::exec_window};
    ExecCredit output_credit{contract::exec_window};
};

void check_credit(ExecCredit const& credit, std::uint32_t before, bool succeeded,
                  char const* what) {
    if (credit.available() > contract::exec_window) {
        fuzz::finding(std::string(what) + ": credit of " + std::to_string(credit.available()) +
                      " exceeds the window");
    }
    if (!succeeded && credit.available() != before) {
        fuzz::finding(std::string(what) + " refused, yet the credit went from " +
                      std::to_string(before) + " to " + std::to_string(credit.available()));
    }
}

// False when the receiver ends the session (data beyond the credit, a grant beyond the window).
bool spend(ExecCredit& credit, std::string const& payload) {
    std::uint32_t const before = credit.available();
    bool const ok = static_cast<bool>(credit.spend(payload.size()));
    check_credit(credit, before, ok, "spend");
    if (ok && credit.available() != before - payload.size()) {
        fuzz::finding("spending " + std::to_string(payload.size()) + " of " +
                      std::to_string(before) + " left " + std::to_string(credit.available()));
    }
    // The receiver passes the data on and grants it again, sometimes at once: a grant of what
    // was just spent always fits.
    if (ok && (payload.empty() || (payload[0] & 1) != 0)) {
        std::uint32_t const spent = credit.available();
        bool const granted = static_cast<bool>(credit.grant(before - spent));
        check_credit(credit, spent, granted, "grant");
        if (!granted || credit.available() != before) {
            fuzz::finding("granting back the " + std::to_string(before - spent) +
                          " bytes just spent failed");
        }
    }
    return ok;
}

bool grant(ExecCredit& credit, std::uint32_t bytes) {
    std::uint32_t const before = credit.available();
    bool const ok = static_cast<bool>(credit.grant(bytes));
    check_credit(credit, before, ok, "grant");
    if (ok != (bytes <= contract::exec_window - before)) {
        fuzz::finding("grant of " + std::to_string(bytes) + " on a credit of " +
                      std::to_string(before) + (ok ? " accepted" : " refused"));
    }
    return ok;
}

std::optional<std::uint32_t> u32(ExecFrame const& frame) {
    auto const value = contract::exec_frame_u32(frame);
    if (value.has_value() != (frame.payload.size() == 4)) {
        fuzz::finding("exec_frame_u32 of a " + std::to_string(frame.payload.size()) +
                      "-byte payload " + (value ? "succeeded" : "failed"));
    }
    return value ? std::optional<std::uint32_t>(*value) : std::nullopt;
}

// What a receiver does with one frame: decode its payload, keep the session's credit.
void receive(ExecFrame const& frame, std::map<std::uint32_t, Session>& sessions) {
    auto it = sessions.find(frame.session);
    if (it == sessions.end() && sessions.size() < contract::max_exec_sessions) {
        it = sessions.emplace(frame.session, Session{}).first;
    }
    Session* const session = it == sessions.end() ? nullptr : &it->second;
    bool keep = true;
    switch (frame.type) {
    case ExecFrameType::open:
        check_request(frame.payload);
        break;
    case ExecFrameType::stdin_data:
        keep = !session || spend(session->stdin_credit, frame.payload);
        break;
    case ExecFrameType::stdout_data:
    case ExecFrameType::stderr_data:
        keep = !session || spend(session->output_credit, frame.payload);
        break;
    case ExecFrameType::stdin_credit:
        if (auto const value = u32(frame); value && session) {
            keep = grant(session->stdin_credit, *value);
        }
        break;
    case ExecFrameType::output_credit:
        if (auto const value = u32(frame); value && session) {
            keep = grant(session->output_credit, *value);
        }
        break;
    case ExecFrameType::signal:
    case ExecFrameType::started:
        (void)u32(frame);
        break;
    case ExecFrameType::exited:
        (void)u32(frame);
        keep = false;
        break;
    case ExecFrameType::resize:
        if (auto const size = contract::decode_window_size(frame.payload); size) {
            if (contract::encode_window_size(*size) != frame.payload) {
                fuzz::finding("resize: window size does not re-encode to its payload");
            }
        } else if (frame.payload.size() == 4) {
            fuzz::finding("resize: a 4-byte payload refused");
        }
        break;
    case ExecFrameType::failed:
        if (auto const failure = contract::decode_exec_failure(frame.payload); failure) {
            if (failure->message.size() > contract::max_exec_failure_message) {
                fuzz::finding("failed: a message of " + std::to_string(failure->message.size()) +
                              " bytes");
            }
            if (failure->status > 255) {
                fuzz::finding("failed: status " + std::to_string(failure->status));
            }
            std::string_view const bounded =
                std::string_view(frame.payload).substr(0, 4 + contract::max_exec_failure_message);
            if (contract::encode_exec_failure(*failure) != bounded) {
                fuzz::finding("failed: the failure does not re-encode to its payload");
            }
        }
        keep = false;
        break;
    case ExecFrameType::stdin_close:
        break;
    case ExecFrameType::hangup:
        keep = false;
        break;
    }
    if (!keep && session) {
        sessions.erase(it);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    constexpr std::size_t most =
        contract::exec_frame_header_size + contract::max_exec_frame_payload;
    std::size_t const piece = (data[0] & 0x7f) == 0 ? SIZE_MAX : data[0] & 0x7f;
    std::string repeated;
    std::string_view stream = fuzz::as_text(data + 1, size - 1);
    if ((data[0] & 0x80) != 0 && !stream.empty()) {
        std::size_t const length = contract::exec_window + 2 * most;
        repeated.reserve(length + stream.size());
        while (repeated.size() < length) {
            repeated.append(stream);
        }
        stream = repeated;
    }

    contract::ExecFrameDecoder decoder;
    std::map<std::uint32_t, Session> sessions;
    std::size_t fed = 0;
    std::size_t consumed = 0;
    while (fed < stream.size()) {
        auto const space = decoder.space();
        if (space.empty()) {
            fuzz::finding("no space to read into with " + std::to_string(decoder.buffered()) +
                          " bytes held and no complete frame");
        }
        std::size_t const n = std::min({piece, space.size(), stream.size() - fed});
        std::memcpy(space.data(), stream.data() + fed, n);
        decoder.commit(n);
        fed += n;
        while (true) {
            if (decoder.buffered() > most || decoder.buffered() != fed - consumed) {
                fuzz::finding("the decoder holds " + std::to_string(decoder.buffered()) +
                              " bytes; " + std::to_string(fed - consumed) + " are pending");
            }
            auto frame = decoder.next();
            if (!frame) {
                // The stream is out of step: a receiver drops it.
                return 0;
            }
            if (!*frame) {
                break;
            }
            ExecFrame const& got = **frame;
            if (got.payload.size() > contract::max_exec_frame_payload) {
                fuzz::finding("a frame of " + std::to_string(got.payload.size()) + " bytes");
            }
            std::string encoded;
            contract::append_exec_frame(encoded, got.type, got.session, got.payload);
            if (stream.substr(consumed, encoded.size()) != encoded) {
                fuzz::finding(std::string("a ") + contract::to_string(got.type) +
                              " frame does not re-encode to the bytes it came from");
            }
            consumed += encoded.size();
            receive(got, sessions);
        }
    }
    return 0;
}
