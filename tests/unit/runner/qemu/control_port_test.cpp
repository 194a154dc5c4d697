#include <gtest/gtest.h>
#include <sys/socket.h>

#include <string>
#include <thread>

#include "base/temp_dir.hpp"
#include "base/unix_socket.hpp"
#include "contract/guest_protocol.hpp"
#include "runner/engine/qemu/control_port.hpp"

namespace microvm::runner::qemu {
namespace {

// Plays qemu's end of the control port: accepts one connection and reads until the client
// closes it.
std::string serve(int listener) {
    std::string received;
    base::Fd client(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
    if (!client) {
        return received;
    }
    char chunk[64];
    ssize_t got;
    while ((got = ::recv(client.get(), chunk, sizeof(chunk), 0)) > 0) {
        received.append(chunk, static_cast<std::size_t>(got));
    }
    return received;
}

TEST(ControlPort, WritesTheStopRequestAndKeepsTheConnectionOpen) {
    auto dir = base::TempDir::create("microvm-control-port-test-");
    ASSERT_TRUE(dir);
    auto const path = (dir->path() / "control.sock").string();
    auto listener = base::listen_unix(path);
    ASSERT_TRUE(listener) << listener.error().text();
    std::string received;
    std::thread server([&] { received = serve(listener->get()); });
    {
        auto connection = request_guest_stop(path, std::chrono::seconds(5));
        ASSERT_TRUE(connection) << connection.error().text();
        EXPECT_TRUE(*connection);
        // The server only returns once the connection is closed, here.
    }
    server.join();
    EXPECT_EQ(received, contract::control_stop_request);
    EXPECT_EQ(received, "stop\n");
}

TEST(ControlPort, NoQemuIsAnErrorNamingTheSocket) {
    auto dir = base::TempDir::create("microvm-control-port-test-");
    ASSERT_TRUE(dir);
    auto const path = (dir->path() / "control.sock").string();
    auto connection = request_guest_stop(path, std::chrono::seconds(1));
    ASSERT_FALSE(connection);
    EXPECT_EQ(connection.error().text(),
              "control port: connect " + path + ": No such file or directory");
}

} // namespace
} // namespace microvm::runner::qemu
