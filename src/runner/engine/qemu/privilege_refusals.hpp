// The runner's side of privilege_filter.hpp: a thread that answers every call the filters of
// the read-write shares' daemons hand over, and writes one line per share and kind of refusal
// to the runner's stderr (runner.log), so a guest hammering a share cannot flood the log.
//
// A device node or setuid/setgid mode is refused with EPERM whatever the runner reads: the
// filter decided on the call's arguments in the kernel. For the xattr calls the runner reads the
// name from the daemon's memory (process_vm_readv: the runner needs CAP_SYS_PTRACE, as the
// daemon turns non-dumpable once it switches credentials): what refuses_xattr() refuses gets
// EPERM, anything else continues. Continuing is safe: the C daemon copies a request out of
// guest memory before handling it, so the guest cannot rewrite the name after the read, and the
// kernel checks the daemon's capabilities again. If the runner's thread is gone, the daemon's
// filtered calls fail with ENOSYS: refused all the same.
#pragma once

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/error.hpp"
#include "base/fd.hpp"
#include "runner/engine/qemu/privilege_filter.hpp"

namespace microvm::runner::qemu {

struct FilteredShare {
    std::string tag;
    base::Fd listener; // from receive_listener()
    PrivilegeRules rules;
};

class PrivilegeRefusals {
public:
    // Starts the thread; with no shares, none.
    static Result<PrivilegeRefusals> start(std::vector<FilteredShare> shares);

    PrivilegeRefusals() = default;
    PrivilegeRefusals(PrivilegeRefusals&&) noexcept;
    PrivilegeRefusals& operator=(PrivilegeRefusals&&) = delete;
    PrivilegeRefusals(PrivilegeRefusals const&) = delete;
    PrivilegeRefusals& operator=(PrivilegeRefusals const&) = delete;
    // Stops and joins the thread and closes the listeners: a daemon still running then gets
    // ENOSYS for its filtered calls.
    ~PrivilegeRefusals();

private:
    struct State;
    std::unique_ptr<State> m_state;
};

} // namespace microvm::runner::qemu
