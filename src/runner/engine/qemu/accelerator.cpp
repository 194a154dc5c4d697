#include "runner/engine/qemu/accelerator.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "base/fd.hpp"

namespace microvm::runner::qemu {

KvmProbe probe_kvm() {
    KvmProbe probe;
    probe.device_usable = base::Fd(::open("/dev/kvm", O_RDWR | O_CLOEXEC)).valid();
    probe.hardware_backed =
        ::access("/sys/module/kvm_intel", F_OK) == 0 || ::access("/sys/module/kvm_amd", F_OK) == 0;
    return probe;
}

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
        return probe.device_usable && probe.hardware_backed ? Accelerator::kvm : Accelerator::tcg;
    }
    return fail("unknown qemu.accel \"" + std::string(setting) + "\" (expected auto, kvm or tcg)");
}

} // namespace microvm::runner::qemu
