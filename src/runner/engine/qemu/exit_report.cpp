#include "runner/engine/qemu/exit_report.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>

#include "base/fd.hpp"

namespace microvm::runner::qemu {

std::optional<int> parse_exit_report(std::string_view text) {
    std::optional<int> status;
    while (!text.empty()) {
        std::size_t const end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        constexpr std::string_view prefix = "exit=";
        if (!line.starts_with(prefix)) {
            continue;
        }
        std::string_view const digits = line.substr(prefix.size());
        int value = -1;
        auto const [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
        if (ec == std::errc() && ptr == digits.data() + digits.size() && !digits.empty() &&
            value >= 0 && value <= 255) {
            status = value;
        }
    }
    return status;
}

Result<std::optional<int>> read_exit_report(std::string const& path) {
    base::Fd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!file) {
        if (errno == ENOENT) {
            return std::optional<int>();
        }
        return fail_errno("open " + path);
    }
    // A report is one short line; anything past this is not one.
    constexpr std::size_t limit = 4096;
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
    return parse_exit_report(text);
}

} // namespace microvm::runner::qemu
