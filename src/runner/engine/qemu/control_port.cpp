#include "runner/engine/qemu/control_port.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <string_view>

#include "base/unix_socket.hpp"
#include "contract/guest_protocol.hpp"

namespace microvm::runner::qemu {

Result<base::Fd> request_guest_stop(std::string const& socket_path,
                                    std::chrono::milliseconds timeout) {
    base::Fd socket = TRY_CTX(base::connect_unix(socket_path, timeout), "control port");
    std::string_view const line = contract::control_stop_request;
    std::size_t sent = 0;
    while (sent < line.size()) {
        // MSG_NOSIGNAL: qemu exiting at this moment must not kill the runner with SIGPIPE.
        ssize_t const n =
            ::send(socket.get(), line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return fail_errno("control port: send");
        }
        sent += static_cast<std::size_t>(n);
    }
    return socket;
}

} // namespace microvm::runner::qemu
