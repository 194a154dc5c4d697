// A minimal HTTP/1.1 server on 127.0.0.1 for what a real registry cannot be made to do on
// demand: issue bearer tokens, fail with 503 a set number of times. One connection at a time,
// GET requests without bodies, "Connection: close" on every response.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/fd.hpp"

namespace microvm::test {

struct FakeRequest {
    std::string method;
    std::string target;                         // path and query, as sent
    std::map<std::string, std::string> headers; // names lowercased
};

struct FakeResponse {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers = {};
    std::string body = {};
    // Announce the whole body but send only this many bytes, then close: a dropped connection.
    std::optional<std::size_t> cut_after = std::nullopt;
};

class FakeHttpServer {
public:
    using Handler = std::function<FakeResponse(FakeRequest const&)>;

    // Listens on a free loopback port and serves `handler` on a thread until destroyed.
    // Throws std::runtime_error when the socket cannot be set up.
    explicit FakeHttpServer(Handler handler);
    ~FakeHttpServer();
    FakeHttpServer(FakeHttpServer const&) = delete;
    FakeHttpServer& operator=(FakeHttpServer const&) = delete;

    // "127.0.0.1:PORT".
    std::string const& address() const { return m_address; }
    // Every request served so far.
    std::vector<FakeRequest> requests() const;

private:
    void serve();
    void handle(int connection);

    Handler m_handler;
    base::Fd m_listener;
    base::Fd m_stop_read;
    base::Fd m_stop_write;
    std::string m_address;
    mutable std::mutex m_mutex;
    std::vector<FakeRequest> m_requests;
    std::thread m_thread;
};

} // namespace microvm::test
