// microvm-init's boot sequence as PID 1 of the qemu engine's initramfs (DESIGN.md §2).
#pragma once

namespace microvm::guest {

// Runs the whole boot: initramfs mounts, modules, ports, root share, /etc/microvm.json,
// essential mounts and shares in the new root, hostname, switch into the root, the workload,
// then reports its status on the status port and powers the VM off. Any boot failure is
// written to the console and reported as status 125; no share is ever mounted read-write
// because something went wrong. Returns only when power-off itself failed.
int run_as_pid1();

} // namespace microvm::guest
