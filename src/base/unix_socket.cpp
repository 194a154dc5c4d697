#include "base/unix_socket.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

namespace microvm::base {

namespace {

Result<sockaddr_un> unix_address(std::string const& path) {
    sockaddr_un address = {};
    address.sun_family = AF_UNIX;
    if (path.size() >= sizeof(address.sun_path)) {
        return fail("socket path too long (" + std::to_string(path.size()) + " bytes, at most " +
                    std::to_string(sizeof(address.sun_path) - 1) + "): " + path);
    }
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    return address;
}

} // namespace

Result<base::Fd> listen_unix(std::string const& path, int backlog) {
    sockaddr_un const address = TRY(unix_address(path));
    base::Fd socket(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!socket) {
        return fail_errno("socket(AF_UNIX)");
    }
    if (::bind(socket.get(), reinterpret_cast<sockaddr const*>(&address), sizeof(address)) < 0) {
        return fail_errno("bind " + path);
    }
    if (::listen(socket.get(), backlog) < 0) {
        return fail_errno("listen " + path);
    }
    return socket;
}

Result<base::Fd> connect_unix(std::string const& path, std::chrono::milliseconds timeout) {
    sockaddr_un const address = TRY(unix_address(path));
    base::Fd socket(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!socket) {
        return fail_errno("socket(AF_UNIX)");
    }
    if (timeout > std::chrono::milliseconds::zero()) {
        timeval const limit = {.tv_sec = static_cast<time_t>(timeout.count() / 1000),
                               .tv_usec =
                                   static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
        if (::setsockopt(socket.get(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit)) < 0 ||
            ::setsockopt(socket.get(), SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof(limit)) < 0) {
            return fail_errno("setsockopt(SO_RCVTIMEO)");
        }
    }
    if (::connect(socket.get(), reinterpret_cast<sockaddr const*>(&address), sizeof(address)) < 0) {
        return fail_errno("connect " + path);
    }
    return socket;
}

} // namespace microvm::base
