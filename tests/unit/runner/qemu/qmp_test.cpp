#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <thread>

#include "base/temp_dir.hpp"
#include "runner/engine/qemu/qmp.hpp"
#include "runner/engine/qemu/unix_socket.hpp"

namespace microvm::runner::qemu {
namespace {

// Plays qemu's side of the exchange and records the commands it received.
std::vector<std::string> serve(int listener, bool refuse_powerdown) {
    std::vector<std::string> received;
    base::Fd client(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
    if (!client) {
        return received;
    }
    auto send = [&](std::string const& text) {
        ::send(client.get(), text.data(), text.size(), MSG_NOSIGNAL);
    };
    send(R"({"QMP": {"version": {}, "capabilities": ["oob"]}})"
         "\r\n");
    std::string buffer;
    char chunk[256];
    while (received.size() < 3) {
        ssize_t const got = ::recv(client.get(), chunk, sizeof(chunk), 0);
        if (got <= 0) {
            break;
        }
        buffer.append(chunk, static_cast<std::size_t>(got));
        std::size_t end;
        while ((end = buffer.find('\n')) != std::string::npos) {
            received.push_back(buffer.substr(0, end));
            buffer.erase(0, end + 1);
            if (received.size() == 1) {
                // An event before the reply must be skipped by the client.
                send(R"({"event": "NIC_RX_FILTER_CHANGED", "data": {}})"
                     "\r\n"
                     R"({"return": {}})"
                     "\r\n");
            } else if (received.size() == 3 && refuse_powerdown) {
                send(R"({"error": {"class": "GenericError", "desc": "no"}})"
                     "\r\n");
            } else {
                send(R"({"return": {}})"
                     "\r\n");
            }
        }
    }
    return received;
}

TEST(Qmp, NegotiatesCapabilitiesThenPressesCtrlAltDelAndThePowerButton) {
    auto dir = base::TempDir::create("microvm-qmp-test-");
    ASSERT_TRUE(dir);
    auto const path = (dir->path() / "qmp.sock").string();
    auto listener = listen_unix(path);
    ASSERT_TRUE(listener) << listener.error().text();
    std::vector<std::string> received;
    std::thread server([&] { received = serve(listener->get(), false); });
    auto const result = request_guest_stop(path, std::chrono::seconds(5));
    server.join();
    EXPECT_TRUE(result) << result.error().text();
    EXPECT_EQ(
        received,
        (std::vector<std::string>{
            R"({"execute":"qmp_capabilities"})",
            R"({"arguments":{"keys":[{"data":"ctrl","type":"qcode"},{"data":"alt","type":"qcode"},{"data":"delete","type":"qcode"}]},"execute":"send-key"})",
            R"({"execute":"system_powerdown"})"}));
}

TEST(Qmp, ARefusedCommandIsAnError) {
    auto dir = base::TempDir::create("microvm-qmp-test-");
    ASSERT_TRUE(dir);
    auto const path = (dir->path() / "qmp.sock").string();
    auto listener = listen_unix(path);
    ASSERT_TRUE(listener);
    std::thread server([&] { serve(listener->get(), true); });
    auto const result = request_guest_stop(path, std::chrono::seconds(5));
    server.join();
    ASSERT_FALSE(result);
    EXPECT_THAT(result.error().text(), ::testing::HasSubstr("system_powerdown"));
}

TEST(Qmp, NoSocketIsAnError) {
    auto const result = request_guest_stop("/nonexistent/qmp.sock", std::chrono::seconds(1));
    ASSERT_FALSE(result);
    EXPECT_THAT(result.error().text(), ::testing::HasSubstr("connect /nonexistent/qmp.sock"));
}

} // namespace
} // namespace microvm::runner::qemu
