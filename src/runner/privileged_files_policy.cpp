#include "runner/privileged_files_policy.hpp"

namespace microvm::runner {

Step<void> require_privilege_refusals(contract::Engine engine, contract::RunnerMount const& mount,
                                      HostRefusals can_refuse) {
    if (mount.read_only) {
        return {}; // every write is refused
    }
    std::string missing;
    std::string opt_in;
    if (!mount.allow_setuid && !can_refuse.setuid) {
        missing = "setuid/setgid files and file capabilities";
        opt_in = "suid";
    }
    if (!mount.allow_devices && !can_refuse.devices) {
        missing += std::string(missing.empty() ? "" : " or ") + "device nodes";
        opt_in += std::string(opt_in.empty() ? "" : ",") + "dev";
    }
    if (missing.empty()) {
        return {};
    }
    return failure(contract::RunnerExit::config_error,
                   "virtiofs mount \"" + mount.tag + "\" is read-write, and the " +
                       contract::to_string(engine) + " engine's file server cannot refuse the " +
                       missing +
                       " a guest would create in it on the host; refusing to start (share it "
                       "read-only, use the qemu engine, or accept such files with -v "
                       "HOST:GUEST:rw," +
                       opt_in + ")");
}

} // namespace microvm::runner
