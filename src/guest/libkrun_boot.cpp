#include "guest/libkrun_boot.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "base/fd.hpp"
#include "base/subreaper.hpp"
#include "contract/guest_protocol.hpp"
#include "guest/console.hpp"
#include "guest/in_root.hpp"
#include "guest/stop_request.hpp"

namespace microvm::guest {
namespace {

// statfs(2)'s f_type of a virtio-fs mount (the kernel's FUSE_SUPER_MAGIC).
constexpr long virtiofs_magic = 0x65735546;

Result<int> boot_in_place(Syscalls& sys) {
    // libkrun mounted the root; everything else is the qemu boot's code path.
    auto const prepared = TRY(prepare_root(sys, ""));
    auto const hostname = TRY(set_hostname(prepared.config.hostname));
    // libkrun's console (or its krun-stdout/krun-stderr ports) is this process's own output.
    return run_workload(prepared, hostname, STDOUT_FILENO, STDERR_FILENO, ExecTransport::vsock);
}

} // namespace

Result<void> check_libkrun_guest() {
    struct statfs root {};
    if (::statfs("/", &root) != 0) {
        return fail_errno("statfs /");
    }
    if (root.f_type != virtiofs_magic) {
        return fail("the root file system is not virtio-fs: microvm-init " +
                    std::string(contract::libkrun_init_flag) +
                    " runs only as the first program of a libkrun guest");
    }
    return {};
}

Result<void> report_status_to_libkrun(int status) {
    base::Fd root(::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root) {
        return fail_errno("open /");
    }
    if (::ioctl(root.get(), krun_exit_code_ioctl, status) != 0) {
        return fail_errno("ioctl(KRUN_EXIT_CODE) on /");
    }
    return {};
}

int run_under_libkrun() {
    if (auto guest = check_libkrun_guest(); !guest) {
        log(guest.error().text());
        return boot_failure_status;
    }
    LinuxSyscalls sys;
    install_stop_request_handlers();
    bool const pid1 = ::getpid() == 1;
    // Under libkrun's init the workload's orphans would go to that init; as their subreaper
    // microvm-init reaps them and can end them before it reports.
    if (!pid1) {
        if (auto subreaper = base::become_subreaper(); !subreaper) {
            log(subreaper.error().text());
        }
    }
    int const status = run_guarded([&] { return boot_in_place(sys); });
    end_leftovers(pid1 ? ProcessOwner::pid1 : ProcessOwner::libkrun_subreaper);
    if (auto reported = report_status_to_libkrun(status); !reported) {
        log("report status: " + reported.error().text());
    }
    if (pid1) {
        // libkrun's init ends the VM the same way: the VMM exits on the guest's reboot.
        ::reboot(RB_AUTOBOOT);
        log(Error::from_errno("reboot(RB_AUTOBOOT)").text());
    }
    return status;
}

} // namespace microvm::guest
