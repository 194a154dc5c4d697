// Whether this host can run guests under KVM. Shared by the runner (which picks QEMU's
// accelerator) and the host library's preflight (which warns when a VM will run under TCG), so
// both decide from the same facts.
#pragma once

namespace microvm::base {

struct KvmProbe {
    // /dev/kvm opens read-write.
    bool device_usable = false;
    // KVM is backed by hardware virtualisation (kvm_intel or kvm_amd). Other providers of
    // /dev/kvm, such as PVM (kvm_pvm) in nested sandboxes, only run guest kernels built for them:
    // a distribution kernel hangs there, so "auto" must not choose it.
    bool hardware_backed = false;

    // What QEMU's "auto" accelerator setting takes: KVM only when both hold.
    bool kvm_usable() const { return device_usable && hardware_backed; }
};

// Looks at /dev/kvm and /sys/module.
KvmProbe probe_kvm();

} // namespace microvm::base
