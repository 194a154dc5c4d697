// A Syscalls that records every call as one line of text and fails the calls a test scripts.
#pragma once

#include <sys/mount.h>

#include <deque>
#include <map>
#include <string>
#include <vector>

#include "guest/syscalls.hpp"

namespace microvm::guest::test {

// "MS_NOSUID|MS_NODEV|MS_RDONLY", in a fixed order; "0" when none is set.
inline std::string mount_flags(unsigned long flags) {
    struct Name {
        unsigned long bit;
        char const* name;
    };
    static constexpr Name names[] = {{MS_RDONLY, "MS_RDONLY"}, {MS_NOSUID, "MS_NOSUID"},
                                     {MS_NODEV, "MS_NODEV"},   {MS_NOEXEC, "MS_NOEXEC"},
                                     {MS_MOVE, "MS_MOVE"},     {MS_BIND, "MS_BIND"}};
    std::string out;
    for (auto const& n : names) {
        if ((flags & n.bit) != 0) {
            out += out.empty() ? "" : "|";
            out += n.name;
            flags &= ~n.bit;
        }
    }
    if (flags != 0) {
        out += (out.empty() ? "" : "|") + std::to_string(flags);
    }
    return out.empty() ? "0" : out;
}

class FakeSyscalls final : public Syscalls {
public:
    std::vector<std::string> calls;

    // The next `times` calls of `name` ("mount", "chown", ...) fail with `error`; an error of 0
    // lets a call succeed, to script a failure of a later call.
    void fail(std::string const& name, int error, int times = 1) {
        for (int i = 0; i < times; ++i) {
            m_failures[name].push_back(error);
        }
    }

    Result<void> mount(std::string const& source, std::string const& target,
                       std::string const& fstype, unsigned long flags,
                       std::string const& data) override {
        return record("mount", "mount " + source + " " + target + " " + fstype + " " +
                                   mount_flags(flags) + " \"" + data + "\"");
    }
    Result<void> umount2(std::string const& target, int flags) override {
        return record("umount2", "umount2 " + target + " " + std::to_string(flags));
    }
    Result<void> make_directories(std::string const& path, mode_t mode) override {
        char octal[8];
        std::snprintf(octal, sizeof octal, "%04o", static_cast<unsigned>(mode));
        return record("make_directories", "mkdir " + path + " " + octal);
    }
    Result<void> chown(std::string const& path, uid_t uid, gid_t gid) override {
        return record("chown", "chown " + path + " " + std::to_string(static_cast<int>(uid)) + ":" +
                                   std::to_string(static_cast<int>(gid)));
    }
    Result<void> symlink(std::string const& target, std::string const& link_path) override {
        return record("symlink", "symlink " + link_path + " -> " + target);
    }
    Result<void> unlink(std::string const& path) override {
        return record("unlink", "unlink " + path);
    }
    Result<void> chdir(std::string const& path) override {
        return record("chdir", "chdir " + path);
    }
    Result<void> chroot(std::string const& path) override {
        return record("chroot", "chroot " + path);
    }
    void sleep(std::chrono::milliseconds duration) override {
        calls.push_back("sleep " + std::to_string(duration.count()) + "ms");
    }

private:
    Result<void> record(std::string const& name, std::string line) {
        calls.push_back(line);
        auto& queue = m_failures[name];
        if (queue.empty()) {
            return {};
        }
        int const error = queue.front();
        queue.pop_front();
        if (error == 0) {
            return {};
        }
        return fail_errno(name + " (fake)", error);
    }

    std::map<std::string, std::deque<int>> m_failures;
};

} // namespace microvm::guest::test
