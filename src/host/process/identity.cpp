#include "host/process/identity.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <string>

#include "base/fd.hpp"

namespace microvm::process {

namespace {

std::string proc_path(pid_t pid, char const* leaf) {
    return "/proc/" + std::to_string(pid) + "/" + leaf;
}

Result<std::string> read_small_file(std::string const& path) {
    base::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        return fail_errno("open " + path);
    }
    // /proc/PID/stat is one line of about 300 bytes; 4 KiB leaves room for a long comm.
    std::string text(4096, '\0');
    std::size_t used = 0;
    while (used < text.size()) {
        ssize_t n = ::read(fd.get(), text.data() + used, text.size() - used);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return fail_errno("read " + path);
        }
        if (n == 0) {
            break;
        }
        used += static_cast<std::size_t>(n);
    }
    text.resize(used);
    return text;
}

} // namespace

Result<ProcessStat> parse_stat(std::string_view text) {
    auto close = text.rfind(')');
    if (close == std::string_view::npos) {
        return fail("malformed /proc stat line: no command name");
    }
    // After "pid (comm)" come the fields from 3 (state) on; start time is field 22.
    std::string_view rest = text.substr(close + 1);
    ProcessStat stat;
    int field = 2;
    std::size_t pos = 0;
    while (field < 22) {
        while (pos < rest.size() && rest[pos] == ' ') {
            ++pos;
        }
        if (pos >= rest.size()) {
            return fail("malformed /proc stat line: " + std::to_string(field) + " fields");
        }
        std::size_t end = rest.find(' ', pos);
        if (end == std::string_view::npos) {
            end = rest.size();
        }
        std::string_view value = rest.substr(pos, end - pos);
        ++field;
        if (field == 3) {
            stat.state = value.front();
        } else if (field == 22) {
            auto [ptr, ec] =
                std::from_chars(value.data(), value.data() + value.size(), stat.start_time);
            if (ec != std::errc() || ptr != value.data() + value.size()) {
                return fail("malformed /proc stat line: start time \"" + std::string(value) + "\"");
            }
        }
        pos = end;
    }
    return stat;
}

Result<ProcessStat> read_stat(pid_t pid) {
    auto path = proc_path(pid, "stat");
    auto text = TRY(read_small_file(path));
    return TRY_CTX(parse_stat(text), path);
}

Result<std::filesystem::path> read_exe(pid_t pid) {
    auto path = proc_path(pid, "exe");
    std::string target(4096, '\0');
    ssize_t n = ::readlink(path.c_str(), target.data(), target.size());
    if (n < 0) {
        return fail_errno("readlink " + path);
    }
    if (static_cast<std::size_t>(n) == target.size()) {
        return fail("readlink " + path + ": target too long");
    }
    target.resize(static_cast<std::size_t>(n));
    constexpr std::string_view deleted = " (deleted)";
    if (target.ends_with(deleted)) {
        target.resize(target.size() - deleted.size());
    }
    return std::filesystem::path(target);
}

Result<ProcessIdentity> capture_identity(pid_t pid, std::filesystem::path const& exe) {
    if (pid <= 0) {
        return fail("capture identity: invalid pid " + std::to_string(pid));
    }
    auto stat = TRY_CTX(read_stat(pid), "capture identity of pid " + std::to_string(pid));
    return ProcessIdentity{.pid = pid, .start_time = stat.start_time, .exe = exe};
}

Presence check_identity(ProcessIdentity const& identity) {
    if (identity.pid <= 0) {
        return Presence::gone;
    }
    auto stat = read_stat(identity.pid);
    if (!stat) {
        return stat.error().errno_value() == ENOENT ? Presence::gone : Presence::replaced;
    }
    if (stat->start_time != identity.start_time) {
        return Presence::replaced;
    }
    // A zombie has no executable left to compare, but the matching start time already proves
    // it is ours: the PID cannot be reused before it is reaped.
    if (stat->state == 'Z') {
        return Presence::exited;
    }
    auto exe = read_exe(identity.pid);
    if (!exe && exe.error().errno_value() == ENOENT) {
        // It exited between the two reads; look again to tell a zombie from a reaped process.
        auto again = read_stat(identity.pid);
        if (again && again->start_time == identity.start_time && again->state == 'Z') {
            return Presence::exited;
        }
        return again ? Presence::replaced : Presence::gone;
    }
    if (!exe) {
        return Presence::replaced;
    }
    return *exe == identity.exe ? Presence::running : Presence::replaced;
}

} // namespace microvm::process
