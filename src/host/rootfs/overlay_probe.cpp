#include "host/rootfs/overlay_probe.hpp"

#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "base/overlay_options.hpp"

namespace microvm::rootfs {
namespace {

// The child's exit status: 0, or the errno of the step that failed (all errno values fit).
constexpr int unshare_failed_offset = 200;

} // namespace

std::string overlay_options(hypervisor::RootfsView const& view) {
    return base::overlay_options(view.source.string(), view.upper_dir.string(),
                                 view.work_dir.string());
}

Result<void> probe_overlay(hypervisor::RootfsView const& view,
                           std::filesystem::path const& mountpoint) {
    // Everything the child needs is prepared before fork(): in a multithreaded caller the
    // child may only make async-signal-safe calls.
    std::string const options = overlay_options(view);
    std::string const target = mountpoint.string();
    pid_t pid = ::fork();
    if (pid < 0) {
        return fail_errno("fork (overlay probe)");
    }
    if (pid == 0) {
        if (::unshare(CLONE_NEWNS) != 0 ||
            ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
            ::_exit(errno == EPERM ? EPERM : unshare_failed_offset);
        }
        if (::mount("overlay", target.c_str(), "overlay", 0, options.c_str()) != 0) {
            ::_exit(errno);
        }
        ::_exit(0); // the namespace, and the mount with it, dies with the child
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            return fail_errno("waitpid (overlay probe)");
        }
    }
    std::string const what = "mount overlay (" + options + ")";
    if (!WIFEXITED(status)) {
        return fail(what + ": probe process died");
    }
    int code = WEXITSTATUS(status);
    if (code == unshare_failed_offset) {
        return fail(what + ": cannot create a private mount namespace");
    }
    if (code != 0) {
        return fail_errno(what, code);
    }
    return {};
}

} // namespace microvm::rootfs
