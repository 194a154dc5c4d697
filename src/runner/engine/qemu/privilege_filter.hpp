// What keeps a read-write share from planting privilege on the host (docs/SECURITY.md): a
// seccomp filter installed on the share's virtiofsd before it execs. The filter's own checks on
// the system call's arguments decide; the runner only answers each refused call with EPERM and
// says so in its log (see privilege_refusals.hpp).
//
// Refused, unless the share opted in:
//   - without allow_devices: mknod/mknodat of a block or character device (FIFOs and sockets
//     stay allowed), and renameat2 with RENAME_WHITEOUT (which leaves a 0:0 character device
//     and, since Linux 5.8, needs no CAP_MKNOD);
//   - without allow_setuid: chmod/fchmod/fchmodat/fchmodat2, mknod/mknodat and open/openat/
//     creat with O_CREAT or O_TMPFILE whose mode has S_ISUID or S_ISGID (setgid directories by
//     chmod too: the filter sees a mode, not a file type).
// On every read-write share, opted in or not: setxattr/lsetxattr/fsetxattr go to the runner,
// which reads the name and refuses security.* and trusted.* (security.capability is allowed
// with allow_setuid); the kernel refuses those names a second time, as the daemon runs without
// CAP_SYS_ADMIN and, without allow_setuid, without CAP_SETFCAP (modcaps, share_daemon.cpp). Without
// allow_setuid it also lacks CAP_FSETID, so a write to a setuid file clears the bit.
// Always: openat2 and setxattrat (their mode or name is behind a pointer the filter cannot read)
// and io_uring_setup (io_uring's requests bypass seccomp) fail with ENOSYS, and a call through
// another architecture's entry (x32, int 0x80) kills the daemon.
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/command.hpp"
#include "base/error.hpp"

namespace microvm::runner::qemu {

struct PrivilegeRules {
    bool allow_setuid = false;
    bool allow_devices = false;
};

// The filter as classic BPF, built before the fork (libseccomp allocates).
struct PrivilegeFilter {
    std::vector<sock_filter> program;
};
Result<PrivilegeFilter> build_privilege_filter(PrivilegeRules const& rules);

// The child step: no_new_privs, then the filter with a notification listener, whose descriptor
// is sent (SCM_RIGHTS) over the unix socket at `socket_fd` in the child, which is then closed.
// `filter` must outlive the returned step.
base::ChildStep install_privilege_filter_step(PrivilegeFilter const& filter, int socket_fd);

// Receives the listener the step sent over `socket`, once the child has exec'd.
Result<base::Fd> receive_listener(int socket);

// What a refused call would have made, for the log: "a setuid or setgid mode" or "a device
// node"; empty when the call is not one the filter refuses by its arguments alone (the xattr
// calls, which need the name).
std::string refused_kind(seccomp_data const& call);

// Whether the share refuses setting the extended attribute `name`: security.* (file
// capabilities, LSM labels, IMA/EVM) and trusted.* carry privilege on the host, except
// security.capability when the share allows setuid files. user.* and system.* (ACLs) are data.
bool refuses_xattr(std::string const& name, PrivilegeRules const& rules);

} // namespace microvm::runner::qemu
