#include "runner/engine/qemu/qmp.hpp"

#include <sys/socket.h>

#include <nlohmann/json.hpp>

#include "base/fd.hpp"
#include "runner/engine/qemu/unix_socket.hpp"

namespace microvm::runner::qemu {

namespace {

// Reads one line-delimited JSON message; QMP ends each with "\r\n".
class QmpReader {
public:
    explicit QmpReader(int fd) : m_fd(fd) {}

    Result<nlohmann::json> next() {
        for (;;) {
            std::size_t const end = m_buffer.find('\n');
            if (end != std::string::npos) {
                std::string const line = m_buffer.substr(0, end);
                m_buffer.erase(0, end + 1);
                auto message = nlohmann::json::parse(line, nullptr, false);
                if (message.is_discarded()) {
                    return fail("QMP: malformed message: " + line);
                }
                return message;
            }
            // A greeting or a reply is small; a runaway peer is not waited for forever.
            if (m_buffer.size() > 1 << 20) {
                return fail("QMP: message too long");
            }
            char chunk[4096];
            ssize_t const got = ::recv(m_fd, chunk, sizeof(chunk), 0);
            if (got < 0) {
                if (errno == EINTR) {
                    continue;
                }
                return fail_errno("QMP: recv");
            }
            if (got == 0) {
                return fail("QMP: qemu closed the connection");
            }
            m_buffer.append(chunk, static_cast<std::size_t>(got));
        }
    }

private:
    int m_fd;
    std::string m_buffer;
};

Result<void> send_all(int fd, std::string const& text) {
    std::size_t sent = 0;
    while (sent < text.size()) {
        // MSG_NOSIGNAL: qemu exiting at this moment must not kill the runner with SIGPIPE.
        ssize_t const n = ::send(fd, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return fail_errno("QMP: send");
        }
        sent += static_cast<std::size_t>(n);
    }
    return {};
}

// Sends one command and waits for its reply, skipping asynchronous events.
Result<void> execute(int fd, QmpReader& reader, char const* command,
                     nlohmann::json const& arguments = nullptr) {
    nlohmann::json message{{"execute", command}};
    if (!arguments.is_null()) {
        message["arguments"] = arguments;
    }
    TRY(send_all(fd, message.dump() + "\n"));
    for (;;) {
        nlohmann::json const message = TRY(reader.next());
        if (message.contains("return")) {
            return {};
        }
        if (message.contains("error")) {
            return fail(std::string("QMP: ") + command + ": " + message["error"].dump());
        }
    }
}

} // namespace

Result<void> request_guest_stop(std::string const& socket_path, std::chrono::milliseconds timeout) {
    base::Fd const socket = TRY(connect_unix(socket_path, timeout));
    QmpReader reader(socket.get());
    nlohmann::json const greeting = TRY(reader.next());
    if (!greeting.contains("QMP")) {
        return fail("QMP: unexpected greeting: " + greeting.dump());
    }
    // Commands other than qmp_capabilities are refused until capabilities are negotiated.
    TRY(execute(socket.get(), reader, "qmp_capabilities"));
    nlohmann::json keys = nlohmann::json::array();
    for (char const* key : {"ctrl", "alt", "delete"}) {
        keys.push_back({{"type", "qcode"}, {"data", key}});
    }
    TRY(execute(socket.get(), reader, "send-key", {{"keys", keys}}));
    TRY(execute(socket.get(), reader, "system_powerdown"));
    return {};
}

} // namespace microvm::runner::qemu
