// Unix stream sockets: the vhost-user sockets the runner binds for its daemons, and the
// connection to qemu's end of the control port, the exec socket and the agent's channel.
#pragma once

#include <chrono>
#include <string>

#include "base/error.hpp"
#include "base/fd.hpp"

namespace microvm::runner {

// Binds and listens on `path` (which must not exist); the socket is close-on-exec. The
// default backlog suits a socket with one client (a vhost-user daemon's qemu).
Result<base::Fd> listen_unix(std::string const& path, int backlog = 1);

// Connects to `path`; sends and receives time out after `timeout`.
Result<base::Fd> connect_unix(std::string const& path, std::chrono::milliseconds timeout);

} // namespace microvm::runner
