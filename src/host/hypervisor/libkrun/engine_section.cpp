#include "host/hypervisor/libkrun/engine_section.hpp"

#include "contract/guest_protocol.hpp"
#include "host/rootfs/inject.hpp"

namespace microvm::hypervisor::libkrun {

Result<void> add_libkrun_section(contract::RunnerConfig& config, rootfs::RootfsView const& view,
                                 LibkrunSectionOptions const& options) {
    TRY(rootfs::inject_guest_init(view, options.init_binary, contract::libkrun_init_path));
    config.engine = contract::Engine::libkrun;
    config.libkrun.library = options.library;
    config.libkrun.init = contract::libkrun_init_path;
    return {};
}

} // namespace microvm::hypervisor::libkrun
