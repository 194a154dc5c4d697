// One exec session's process in the guest: what it runs (the request over the VM's workload
// defaults, its user resolved in the VM's own /etc/passwd and /etc/group) and the descriptors
// the agent talks to it through (pipes, or a pseudo-terminal).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/fd.hpp"
#include "contract/exec_channel.hpp"
#include "guest/workload.hpp"

namespace microvm::guest {

// What an exec inherits from the VM's workload when its request does not say.
struct ExecDefaults {
    std::vector<std::string> env; // the workload's, PATH and HOME included
    std::string cwd;
    User user;
};

// The request's argv over the defaults: its env entries replace the workload's of the same
// name; its user ("name", "uid", "name:group", ...) is looked up below `root` (the VM's "/"),
// and HOME follows that user unless the request sets it. Fails with a message naming the user
// or group that the VM does not have.
Result<WorkloadSpec> exec_workload(contract::ExecRequest const& request,
                                   ExecDefaults const& defaults, base::Fd const& root);

// A started session process. `input` is where its stdin goes (invalid when stdin is
// /dev/null), `output` its stdout (with a terminal: the terminal, for reading and writing)
// and `errors` its stderr (invalid with a terminal). All three are non-blocking and the
// agent's own; the process has only its ends.
struct ExecChild {
    pid_t pid = -1;
    base::Fd input;
    base::Fd output;
    base::Fd errors;
};

// A new pseudo-terminal of rows x cols (0: the kernel's default), both ends close-on-exec.
struct ExecTerminal {
    base::Fd master;
    base::Fd slave;
};
Result<ExecTerminal> open_exec_terminal(std::uint16_t rows, std::uint16_t cols);

// Starts `spec` in a new session: on a new pseudo-terminal of the request's size (its
// controlling terminal) with request.tty, else on pipes; every stdio is /dev/null for a
// detached request. A command that cannot be executed exits 126 or 127 with the reason on its
// stderr (as the workload does).
Result<ExecChild> start_exec_child(WorkloadSpec const& spec, contract::ExecRequest const& request);

} // namespace microvm::guest
