#include "runner/engine/qemu/exit_report.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "base/fd.hpp"
#include "contract/status_line.hpp"

namespace microvm::runner::qemu {

Result<std::optional<int>> read_exit_report(std::string const& path) {
    base::Fd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!file) {
        if (errno == ENOENT) {
            return std::optional<int>();
        }
        return fail_errno("open " + path);
    }
    // Past the limit it is not a report: the rest is left unread.
    constexpr std::size_t limit = contract::max_status_report_size;
    std::string text(limit, '\0');
    std::size_t used = 0;
    while (used < limit) {
        ssize_t const got = ::read(file.get(), text.data() + used, limit - used);
        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }
            return fail_errno("read " + path);
        }
        if (got == 0) {
            break;
        }
        used += static_cast<std::size_t>(got);
    }
    text.resize(used);
    return contract::parse_exit_status(text);
}

} // namespace microvm::runner::qemu
