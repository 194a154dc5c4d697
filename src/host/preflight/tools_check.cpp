// "tools": the programs and the kernel the qemu backend starts, looked up the way the backend
// and the runner will, so that a missing package is named before anything is prepared.
#include <sys/stat.h>
#include <unistd.h>

#include "base/executable.hpp"
#include "contract/runner_config.hpp"
#include "host/hypervisor/qemu/kernel.hpp"
#include "host/hypervisor/qemu/kernel_cache.hpp"
#include "host/preflight/checks.hpp"

namespace microvm::preflight {

QemuToolPaths default_qemu_tool_paths(RunOptions const& options) {
    contract::QemuSettings const settings;
    return QemuToolPaths{
        .qemu_binary = settings.binary,
        .virtiofsd = settings.virtiofsd,
        .kernel = options.kernel,
        .kernel_cache_roots =
            hypervisor::qemu::kernel_cache_roots(hypervisor::qemu::kernel_cache_environment()),
        .kernel_fragment_hash = std::string(hypervisor::qemu::microvm_kernel_fragment_hash()),
        .search_path = base::executable_search_path()};
}

Result<void> check_qemu_tools(QemuToolPaths const& paths) {
    if (!base::find_executable(paths.qemu_binary, paths.search_path)) {
        return fail(paths.qemu_binary + " not found in PATH (" + paths.search_path +
                    "): install qemu-system-x86");
    }
    struct stat st {};
    if (::stat(paths.virtiofsd.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
        ::access(paths.virtiofsd.c_str(), X_OK) != 0) {
        return fail("virtiofsd not found or not executable at " + paths.virtiofsd.string() +
                    ": install qemu-system-common");
    }
    TRY(hypervisor::qemu::find_guest_kernel(hypervisor::qemu::KernelSearch{
        .explicit_kernel = hypervisor::qemu::kernel_override(paths.kernel),
        .cache_roots = paths.kernel_cache_roots,
        .fragment_hash = paths.kernel_fragment_hash,
        .boot_dir = paths.boot_dir,
        .modules_root = paths.modules_root}));
    return {};
}

} // namespace microvm::preflight
