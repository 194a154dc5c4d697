// Names shared by the qemu engine (host side) and microvm-init (guest side).
#pragma once

namespace microvm::contract {

// virtio-fs tag of the VM's root file system (libkrun uses "/dev/root" for the same role).
inline constexpr char root_share_tag[] = "microvm-root";

// virtio-serial port names: the workload's output and its exit status, kept apart from the
// kernel console so that boot noise never reaches the user's terminal.
inline constexpr char stdout_port_name[] = "microvm.stdout";
inline constexpr char stderr_port_name[] = "microvm.stderr";
// microvm-init writes "exit=<status>\n" here once the workload has ended.
inline constexpr char status_port_name[] = "microvm.status";
// Host to guest: the runner writes control_stop_request here to ask for a graceful stop
// (microvm-init passes SIGTERM to the workload, then powers off as at a normal end). Any byte
// on the port counts as the request; it is the port's only message.
inline constexpr char control_port_name[] = "microvm.control";
inline constexpr char control_stop_request[] = "stop\n";
// Both ways: the exec channel (contract/exec_channel.hpp) between the runner and microvm-init's
// exec agent.
inline constexpr char exec_port_name[] = "microvm.exec";
// The libkrun engine's exec channel: the vsock port the agent connects to on the host (CID 2),
// which libkrun joins to the runner's socket. Far from the low ports TSI hands to sockets.
inline constexpr unsigned exec_vsock_port = 52'000;

// Layout of the base initramfs the host builds for the qemu engine: microvm-init as /init,
// kernel modules in one directory, and the order to load them in (one file name per line,
// dependencies first).
inline constexpr char initramfs_module_dir[] = "/lib/modules";
inline constexpr char initramfs_module_list[] = "/etc/microvm-modules";

// The libkrun engine: where the host puts microvm-init in the VM's own layer of its root
// (never in the image; runner.json libkrun.init names it), and the argument that tells
// microvm-init it was started by libkrun's init rather than as PID 1 of an initramfs.
inline constexpr char libkrun_init_path[] = "/.microvm/init";
inline constexpr char libkrun_init_flag[] = "--libkrun";

// Where microvm-init mounts the root share before switching into it.
inline constexpr char guest_new_root[] = "/newroot";

} // namespace microvm::contract
