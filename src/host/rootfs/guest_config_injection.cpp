#include "host/rootfs/guest_config_injection.hpp"

#include "host/rootfs/inject.hpp"

namespace microvm::rootfs {

Result<void> inject_guest_config(RootfsView const& view, contract::GuestConfig const& config) {
    std::string const bytes = contract::serialize(config);
    // Owned by whoever runs microvm (root on a host that boots VMs), as every file microvm
    // writes; etc takes the image's mode and owner where the image has a real etc.
    TRY_CTX(inject_file(view, FileSpec{.guest_path =
                                           std::string("/") + contract::guest_config_relative_path,
                                       .content = bytes,
                                       .attributes = {.mode = 0644},
                                       .new_dirs = {.mode = 0755},
                                       .links = ImageLinks::replace}),
            "inject guest config into " +
                (view.upper_dir.empty() ? view.source : view.upper_dir).string());
    return {};
}

} // namespace microvm::rootfs
