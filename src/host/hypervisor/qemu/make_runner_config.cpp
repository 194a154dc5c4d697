#include "host/hypervisor/qemu/make_runner_config.hpp"

#include "host/hypervisor/runner_config_common.hpp"

namespace microvm::hypervisor::qemu {

contract::RunnerConfig make_runner_config(VmConfig const& config,
                                          std::filesystem::path const& kernel,
                                          std::filesystem::path const& initrd,
                                          contract::QemuSettings qemu) {
    contract::RunnerConfig out = common_runner_config(config, contract::Engine::qemu);
    qemu.kernel = kernel.string();
    qemu.initrd = initrd.string();
    out.qemu = std::move(qemu);
    return out;
}

} // namespace microvm::hypervisor::qemu
