#include <gtest/gtest.h>

#include <cstring>

#include "contract/exec_channel.hpp"

namespace microvm::contract {
namespace {

// Feeds `bytes` to the decoder in pieces of `piece` bytes and collects the frames.
std::vector<ExecFrame> decode_all(std::string const& bytes, std::size_t piece) {
    ExecFrameDecoder decoder;
    std::vector<ExecFrame> frames;
    std::size_t offset = 0;
    while (offset < bytes.size()) {
        auto space = decoder.space();
        std::size_t const n = std::min({piece, space.size(), bytes.size() - offset});
        std::memcpy(space.data(), bytes.data() + offset, n);
        decoder.commit(n);
        offset += n;
        while (true) {
            auto frame = decoder.next();
            EXPECT_TRUE(frame.has_value()) << frame.error().text();
            if (!frame || !*frame) {
                break;
            }
            frames.push_back(std::move(**frame));
        }
    }
    EXPECT_EQ(decoder.buffered(), 0u);
    return frames;
}

Result<std::optional<ExecFrame>> decode_one(std::string const& bytes) {
    ExecFrameDecoder decoder;
    auto space = decoder.space();
    std::size_t const n = std::min(space.size(), bytes.size());
    std::memcpy(space.data(), bytes.data(), n);
    decoder.commit(n);
    return decoder.next();
}

TEST(ExecChannel, FramesRoundTripWhateverTheReadSizes) {
    std::string stream;
    append_exec_frame(stream, ExecFrameType::open, 7, encode_exec_request({.argv = {"true"}}));
    append_exec_frame(stream, ExecFrameType::stdin_data, 7, std::string("\0\xff\n", 3));
    append_exec_frame(stream, ExecFrameType::stdin_close, 7);
    append_exec_frame_u32(stream, ExecFrameType::exited, 7, 42);
    append_exec_frame(stream, ExecFrameType::stdout_data, 9,
                      std::string(max_exec_frame_payload, 'x'));
    for (std::size_t piece : {std::size_t{1}, std::size_t{5}, std::size_t{4096}, stream.size()}) {
        auto const frames = decode_all(stream, piece);
        ASSERT_EQ(frames.size(), 5u) << piece;
        EXPECT_EQ(frames[0].type, ExecFrameType::open);
        EXPECT_EQ(frames[0].session, 7u);
        EXPECT_EQ(frames[1].payload, std::string("\0\xff\n", 3));
        EXPECT_TRUE(frames[2].payload.empty());
        EXPECT_EQ(exec_frame_u32(frames[3]).value(), 42u);
        EXPECT_EQ(frames[4].session, 9u);
        EXPECT_EQ(frames[4].payload.size(), max_exec_frame_payload);
    }
}

TEST(ExecChannel, AFourGibLengthIsRefusedBeforeItsPayload) {
    std::string header("\xff\xff\xff\xff\x11\0\0\0\1\0\0\0", 12);
    auto const frame = decode_one(header);
    ASSERT_FALSE(frame);
    EXPECT_NE(frame.error().text().find("4294967295 bytes"), std::string::npos);
}

TEST(ExecChannel, UnknownTypesAndReservedBytesAreRefused) {
    std::string unknown;
    append_exec_frame(unknown, ExecFrameType::open, 1);
    unknown[4] = 99;
    EXPECT_FALSE(decode_one(unknown));
    std::string reserved;
    append_exec_frame(reserved, ExecFrameType::open, 1);
    reserved[6] = 1;
    EXPECT_FALSE(decode_one(reserved));
}

TEST(ExecChannel, AHalfFrameWaitsForTheRest) {
    std::string frame;
    append_exec_frame(frame, ExecFrameType::stdout_data, 1, "hello");
    auto const half = decode_one(frame.substr(0, frame.size() - 1));
    ASSERT_TRUE(half);
    EXPECT_FALSE(*half);
}

TEST(ExecChannel, U32PayloadsMustBeFourBytes) {
    EXPECT_FALSE(exec_frame_u32({.type = ExecFrameType::signal, .session = 1, .payload = "abc"}));
    EXPECT_FALSE(decode_window_size("abcde"));
    auto const size = decode_window_size(encode_window_size({.rows = 24, .cols = 80}));
    ASSERT_TRUE(size);
    EXPECT_EQ(size->rows, 24);
    EXPECT_EQ(size->cols, 80);
}

TEST(ExecChannel, RequestRoundTrips) {
    ExecRequest const request{.argv = {"sh", "-c", "echo $A"},
                              .env = {"A=1"},
                              .cwd = "/tmp",
                              .user = "nobody:nogroup",
                              .tty = true,
                              .rows = 30,
                              .cols = 100,
                              .stdin_open = true,
                              .detach = false};
    auto const decoded = decode_exec_request(encode_exec_request(request));
    ASSERT_TRUE(decoded) << decoded.error().text();
    EXPECT_EQ(decoded->argv, request.argv);
    EXPECT_EQ(decoded->env, request.env);
    EXPECT_EQ(decoded->cwd, "/tmp");
    EXPECT_EQ(decoded->user, "nobody:nogroup");
    EXPECT_TRUE(decoded->tty);
    EXPECT_EQ(decoded->rows, 30);
    EXPECT_EQ(decoded->cols, 100);
    EXPECT_TRUE(decoded->stdin_open);
    EXPECT_FALSE(decoded->detach);
}

TEST(ExecChannel, BadRequestsSayWhatIsWrong) {
    auto message = [](std::string const& json) {
        auto const decoded = decode_exec_request(json);
        return decoded ? std::string() : decoded.error().text();
    };
    EXPECT_NE(message("{"), "");
    EXPECT_NE(message(R"({"argv":[]})").find("argv"), std::string::npos);
    EXPECT_NE(message(R"({"argv":[""]})").find("argv"), std::string::npos);
    EXPECT_NE(message(R"({"argv":["a",1]})").find("argv[1]"), std::string::npos);
    EXPECT_NE(message(R"({"argv":["a"],"env":["NOEQUALS"]})").find("env[0]"), std::string::npos);
    EXPECT_NE(message(R"({"argv":["a"],"cwd":"rel"})").find("cwd"), std::string::npos);
    EXPECT_NE(message(R"({"argv":["a"],"rows":70000})").find("rows"), std::string::npos);
    EXPECT_NE(message(R"({"argv":["a\u0000b"]})"), "");
}

TEST(ExecChannel, AnAttachNamesNoCommand) {
    auto const decoded = decode_exec_request(encode_exec_request({.attach = true}));
    ASSERT_TRUE(decoded) << decoded.error().text();
    EXPECT_TRUE(decoded->attach);
    EXPECT_TRUE(decoded->argv.empty());
    EXPECT_FALSE(decode_exec_request(R"({"attach":true,"argv":["sh"]})"));
    EXPECT_FALSE(decode_exec_request(R"({"argv":[]})"));
}

TEST(ExecChannel, FailureCarriesStatusAndBoundedMessage) {
    auto const decoded = decode_exec_failure(
        encode_exec_failure({.status = 125, .message = std::string(10000, 'm')}));
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded->status, 125u);
    EXPECT_EQ(decoded->message.size(), max_exec_failure_message);
    EXPECT_FALSE(decode_exec_failure("ab"));
    std::string big_status("\0\1\0\0", 4);
    EXPECT_FALSE(decode_exec_failure(big_status));
}

// A failure's message comes from the guest and is printed on the user's terminal.
TEST(ExecChannel, GuestTextIsMadeSafeForATerminal) {
    EXPECT_EQ(terminal_safe("no such user \"x\"\n\tin /etc/passwd"),
              "no such user \"x\"\n\tin /etc/passwd");
    EXPECT_EQ(terminal_safe("\x1b]0;pwned\x07\x1b[2J\r\x7f"), "?]0;pwned??[2J??");
    // C1 controls in UTF-8 (CSI is U+009B), not the letters beside them.
    EXPECT_EQ(terminal_safe("\xc2\x9b"
                            "2J caf\xc3\xa9 \xc2\xa0"),
              "??2J caf\xc3\xa9 \xc2\xa0");
}

TEST(ExecChannel, CreditNeverGoesBelowZeroOrAboveTheWindow) {
    ExecCredit credit;
    EXPECT_EQ(credit.available(), exec_window);
    EXPECT_FALSE(credit.grant(1));
    ASSERT_TRUE(credit.spend(1000));
    EXPECT_FALSE(credit.spend(exec_window));
    EXPECT_EQ(credit.available(), exec_window - 1000);
    EXPECT_FALSE(credit.grant(1001));
    ASSERT_TRUE(credit.grant(1000));
    EXPECT_EQ(credit.available(), exec_window);
}

TEST(ExecChannel, OnlyAgentFramesComeFromTheAgent) {
    EXPECT_TRUE(is_agent_frame(ExecFrameType::stdout_data));
    EXPECT_TRUE(is_agent_frame(ExecFrameType::failed));
    EXPECT_FALSE(is_agent_frame(ExecFrameType::open));
    EXPECT_FALSE(is_agent_frame(ExecFrameType::hangup));
}

} // namespace
} // namespace microvm::contract
