// Unix stream sockets: the runner's (vhost-user sockets for its daemons, qemu's control port,
// the exec socket and the agent's channel) and the exec client's connection to the runner.
#pragma once

#include <chrono>
#include <string>

#include "base/error.hpp"
#include "base/fd.hpp"

namespace microvm::base {

// Binds and listens on `path` (which must not exist); the socket is close-on-exec. The
// default backlog suits a socket with one client (a vhost-user daemon's qemu).
Result<base::Fd> listen_unix(std::string const& path, int backlog = 1);

// Connects to `path`; sends and receives time out after `timeout` (zero: they never do).
Result<base::Fd>
connect_unix(std::string const& path,
             std::chrono::milliseconds timeout = std::chrono::milliseconds::zero());

} // namespace microvm::base
