#include "runner/engine/qemu/accelerator.hpp"

#include <string>

namespace microvm::runner::qemu {

Result<Accelerator> choose_accelerator(std::string_view setting, KvmProbe const& probe) {
    if (setting == "tcg") {
        return Accelerator::tcg;
    }
    if (setting == "kvm") {
        if (!probe.device_usable) {
            return fail("qemu.accel is \"kvm\" but /dev/kvm cannot be opened read-write");
        }
        return Accelerator::kvm;
    }
    if (setting == "auto" || setting.empty()) {
        return probe.kvm_usable() ? Accelerator::kvm : Accelerator::tcg;
    }
    return fail("unknown qemu.accel \"" + std::string(setting) + "\" (expected auto, kvm or tcg)");
}

} // namespace microvm::runner::qemu
