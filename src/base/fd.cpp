#include "base/fd.hpp"

#include <unistd.h>

namespace microvm::base {

void Fd::reset(int fd) {
    if (m_fd >= 0) {
        // Linux closes the descriptor even when close() reports EINTR, so it is never retried.
        ::close(m_fd);
    }
    m_fd = fd;
}

} // namespace microvm::base
