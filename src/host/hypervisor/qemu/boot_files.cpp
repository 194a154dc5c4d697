#include "host/hypervisor/qemu/boot_files.hpp"

#include <string_view>
#include <vector>

#include "host/hypervisor/qemu/initramfs.hpp"
#include "host/hypervisor/qemu/modules.hpp"

namespace microvm::hypervisor::qemu {

Result<BootFiles> prepare_boot_files(BootFilesRequest const& request) {
    // Each step's errors already say which step failed ("no guest kernel found: ...",
    // "resolve kernel modules: ...", "build initramfs: ...").
    auto kernel = TRY(find_guest_kernel(request.search));
    std::vector<std::string_view> wanted(guest_base_modules.begin(), guest_base_modules.end());
    if (request.network) {
        wanted.insert(wanted.end(), guest_network_modules.begin(), guest_network_modules.end());
    }
    auto modules = TRY(resolve_modules(kernel.modules_dir, wanted));
    auto initrd = TRY(ensure_initramfs(InitramfsRequest{.data_dir = request.data_dir,
                                                        .init_binary = request.init_binary,
                                                        .kernel_version = kernel.version,
                                                        .modules = std::move(modules)}));
    return BootFiles{.kernel = std::move(kernel), .initrd = std::move(initrd)};
}

} // namespace microvm::hypervisor::qemu
