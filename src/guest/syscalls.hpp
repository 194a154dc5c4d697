// The system calls microvm-init's mount logic makes, behind an interface so that unit tests can
// record them with a fake instead of needing to be PID 1 in a VM.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>

#include "base/error.hpp"

namespace microvm::guest {

class Syscalls {
public:
    virtual ~Syscalls() = default;

    // mount(2). Errors name the file system type, the source and the target.
    virtual Result<void> mount(std::string const& source, std::string const& target,
                               std::string const& fstype, unsigned long flags,
                               std::string const& data) = 0;
    virtual Result<void> umount2(std::string const& target, int flags) = 0;
    // Creates every missing directory of the absolute `path` with `mode`. Never follows a
    // symlink: a component that is one (an image may plant /data -> /init) is an error, as is
    // a ".." component. An existing directory is not an error.
    virtual Result<void> make_directories(std::string const& path, mode_t mode) = 0;
    // chown(2); -1 leaves that id unchanged.
    virtual Result<void> chown(std::string const& path, uid_t uid, gid_t gid) = 0;
    virtual Result<void> symlink(std::string const& target, std::string const& link_path) = 0;
    // unlink(2); a missing file is not an error.
    virtual Result<void> unlink(std::string const& path) = 0;
    virtual Result<void> chdir(std::string const& path) = 0;
    virtual Result<void> chroot(std::string const& path) = 0;
    virtual void sleep(std::chrono::milliseconds duration) = 0;
};

// The real system calls.
class LinuxSyscalls final : public Syscalls {
public:
    Result<void> mount(std::string const& source, std::string const& target,
                       std::string const& fstype, unsigned long flags,
                       std::string const& data) override;
    Result<void> umount2(std::string const& target, int flags) override;
    Result<void> make_directories(std::string const& path, mode_t mode) override;
    Result<void> chown(std::string const& path, uid_t uid, gid_t gid) override;
    Result<void> symlink(std::string const& target, std::string const& link_path) override;
    Result<void> unlink(std::string const& path) override;
    Result<void> chdir(std::string const& path) override;
    Result<void> chroot(std::string const& path) override;
    void sleep(std::chrono::milliseconds duration) override;
};

} // namespace microvm::guest
