// "kvm": QEMU runs without KVM (TCG), only many times slower, so the qemu backend is warned
// about; libkrun has no software fallback, so it fails.
#include <spdlog/spdlog.h>

#include "host/preflight/checks.hpp"

namespace microvm::preflight {

std::optional<std::string> kvm_warning(base::KvmProbe const& probe) {
    if (probe.kvm_usable()) {
        return std::nullopt;
    }
    std::string const why = !probe.device_usable
                                ? "/dev/kvm cannot be opened read-write"
                                : "no hardware KVM module (kvm_intel or kvm_amd) is loaded";
    return "KVM is not usable (" + why +
           "): the VM runs under QEMU's TCG emulation, which is much slower to boot and run";
}

Result<void> check_kvm(BackendKind backend, base::KvmProbe const& probe) {
    auto const warning = kvm_warning(probe);
    if (!warning) {
        return {};
    }
    if (backend == BackendKind::libkrun) {
        if (!probe.device_usable) {
            return fail("the libkrun backend needs KVM, and /dev/kvm cannot be opened "
                        "read-write; use the qemu backend (--backend qemu)");
        }
        return {};
    }
    spdlog::warn("{}", *warning);
    return {};
}

} // namespace microvm::preflight
