// Choosing between KVM and TCG.
#pragma once

#include <string_view>

#include "base/error.hpp"
#include "runner/engine/qemu/qemu_argv.hpp"

namespace microvm::runner::qemu {

struct KvmProbe {
    // /dev/kvm opens read-write.
    bool device_usable = false;
    // KVM is backed by hardware virtualisation (kvm_intel or kvm_amd). Other providers of
    // /dev/kvm, such as PVM (kvm_pvm) in nested sandboxes, only run guest kernels built for them:
    // a distribution kernel hangs there, so "auto" must not choose it.
    bool hardware_backed = false;
};

// Looks at /dev/kvm and /sys/module.
KvmProbe probe_kvm();

// `setting` is qemu.accel: "auto" takes KVM when it is usable and hardware-backed, "kvm" insists
// on KVM (an error when /dev/kvm cannot be opened), "tcg" never uses it.
Result<Accelerator> choose_accelerator(std::string_view setting, KvmProbe const& probe);

} // namespace microvm::runner::qemu
