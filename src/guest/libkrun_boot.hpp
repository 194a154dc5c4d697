// microvm-init's boot under libkrun (DESIGN.md §2). libkrun's own init has mounted the root
// (virtio-fs, tag "/dev/root"), /proc, /sys and /dev, and runs microvm-init as its command
// (krun_set_exec), as a child it waits for (or, with KRUN_INIT_PID1, as PID 1). From there the
// boot is the qemu boot's: /etc/microvm.json, the essential mounts, every share (read-only
// ones MS_RDONLY), hostname, network, the workload.
#pragma once

#include "base/error.hpp"

namespace microvm::guest {

// libkrun's virtio-fs device takes this ioctl on any file of the root share as the VM's exit
// status, which krun_start_enter then ends the VMM process with (libkrun's init does the same).
inline constexpr unsigned long krun_exit_code_ioctl = 0x7602;

// Refuses to run anywhere but in a libkrun guest: "/" must be a virtio-fs mount. microvm-init
// mounts file systems and signals every process, which it must never do on a host where
// someone ran it by hand.
Result<void> check_libkrun_guest();

// Tells libkrun the VM's exit status through the root share (krun_exit_code_ioctl).
Result<void> report_status_to_libkrun(int status);

// The whole boot: checks, becomes the guest's subreaper, prepares the root in place, runs the
// workload, ends leftovers, reports the status to libkrun. Returns the status for microvm-init
// to exit with; as PID 1 it powers the VM off instead of returning.
int run_under_libkrun();

} // namespace microvm::guest
