#include "fake_http_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <stdexcept>

#include "base/sys.hpp"

namespace microvm::test {

namespace {

// Request heads of the registry protocol are small; a larger one is a test bug.
constexpr std::size_t max_head_bytes = 64 << 10;

std::string lower(std::string text) {
    for (char& c : text) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return text;
}

std::string trim(std::string const& s) {
    auto b = s.find_first_not_of(" \t\r");
    auto e = s.find_last_not_of(" \t\r");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

FakeRequest parse_head(std::string const& head) {
    FakeRequest request;
    std::size_t line_end = head.find("\r\n");
    std::string const first = head.substr(0, line_end);
    auto sp1 = first.find(' ');
    auto sp2 = first.find(' ', sp1 + 1);
    request.method = first.substr(0, sp1);
    request.target = first.substr(sp1 + 1, sp2 - sp1 - 1);
    std::size_t pos = line_end + 2;
    while (pos < head.size()) {
        auto end = head.find("\r\n", pos);
        auto line = head.substr(pos, end - pos);
        pos = end == std::string::npos ? head.size() : end + 2;
        if (auto colon = line.find(':'); colon != std::string::npos) {
            request.headers[lower(trim(line.substr(0, colon)))] = trim(line.substr(colon + 1));
        }
    }
    return request;
}

} // namespace

FakeHttpServer::FakeHttpServer(Handler handler) : m_handler(std::move(handler)) {
    m_listener = base::Fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (!m_listener || ::bind(m_listener.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::listen(m_listener.get(), 16) != 0 ||
        ::getsockname(m_listener.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        throw std::runtime_error("fake http server: cannot listen on 127.0.0.1");
    }
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
        throw std::runtime_error("fake http server: pipe2");
    }
    m_stop_read = base::Fd(pipe_fds[0]);
    m_stop_write = base::Fd(pipe_fds[1]);
    m_address = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
    m_thread = std::thread([this] { serve(); });
}

FakeHttpServer::~FakeHttpServer() {
    (void)base::sys::write_all(m_stop_write.get(), "x", "stop pipe");
    m_thread.join();
}

std::vector<FakeRequest> FakeHttpServer::requests() const {
    std::lock_guard lock(m_mutex);
    return m_requests;
}

void FakeHttpServer::serve() {
    while (true) {
        pollfd fds[2] = {{m_listener.get(), POLLIN, 0}, {m_stop_read.get(), POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) {
            continue;
        }
        if (fds[1].revents != 0) {
            return;
        }
        base::Fd connection(::accept4(m_listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (connection) {
            handle(connection.get());
        }
    }
}

void FakeHttpServer::handle(int connection) {
    std::string head;
    char buffer[4096];
    while (head.find("\r\n\r\n") == std::string::npos && head.size() < max_head_bytes) {
        ssize_t n = ::read(connection, buffer, sizeof buffer);
        if (n <= 0) {
            return;
        }
        head.append(buffer, static_cast<std::size_t>(n));
        if (head.front() == '\x16') {
            return; // a TLS ClientHello: like a plain-HTTP registry, refuse to speak TLS
        }
    }
    auto request = parse_head(head);
    {
        std::lock_guard lock(m_mutex);
        m_requests.push_back(request);
    }
    auto response = m_handler(request);
    std::string out = "HTTP/1.1 " + std::to_string(response.status) + " Fake\r\n";
    for (auto const& [name, value] : response.headers) {
        out += name + ": " + value + "\r\n";
    }
    out +=
        "Content-Length: " + std::to_string(response.body.size()) + "\r\nConnection: close\r\n\r\n";
    if (request.method != "HEAD") {
        out += response.body.substr(0, response.cut_after.value_or(response.body.size()));
    }
    (void)base::sys::write_all(connection, out, "fake http response");
}

} // namespace microvm::test
