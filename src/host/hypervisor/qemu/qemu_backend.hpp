// The qemu backend: boots each VM in qemu-system-x86_64, supervised by a microvm-runner.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "contract/runner_config.hpp"
#include "host/hypervisor/backend.hpp"
#include "host/hypervisor/qemu/kernel.hpp"

namespace microvm::hypervisor::qemu {

inline constexpr char init_binary_name[] = "microvm-init";

struct QemuBackendOptions {
    // The data directory: the initramfs cache lives in <data_dir>/initramfs/.
    std::filesystem::path data_dir;
    // microvm-runner, absolute; empty: process::locate_runner().
    std::filesystem::path runner;
    // The static microvm-init; empty: the one beside the runner (they are built and installed
    // together, so an init never boots with a runner of another version).
    std::filesystem::path init_binary;
    // Where to look for a distribution kernel (tests point these at fake trees).
    std::filesystem::path boot_dir = "/boot";
    std::filesystem::path modules_root = "/lib/modules";
    // Where to look for the microvm kernel `make kernel` built (kernel_cache.hpp);
    // std::nullopt: kernel_cache_roots() of this process's environment.
    std::optional<std::vector<std::filesystem::path>> kernel_cache_roots;
    // The engine's settings (qemu binary, virtiofsd, accel); kernel, initrd and machine are
    // filled in per VM (the machine follows the kernel: see machine_for()).
    contract::QemuSettings qemu;
    // The runner's whole environment; std::nullopt: this process's.
    std::optional<std::vector<std::string>> runner_env;
};

// The qemu machine for a kernel: q35 for every kernel. A distribution kernel needs PCI (its
// virtio-mmio is a module that is not in the initramfs); for the microvm kernel -M microvm is no
// faster under TCG than q35 with qboot and has problems of its own (see the definition).
std::string machine_for(GuestKernel const& kernel);

class QemuBackend final : public Backend {
public:
    explicit QemuBackend(QemuBackendOptions options) : m_options(std::move(options)) {}

    std::string name() const override { return "qemu"; }
    // The guest side of qemu lives in the initramfs, so the root needs nothing: the view is
    // booted as it is.
    Result<RootfsView> prepare_rootfs(RootfsView const& view) override;
    // Finds the kernel (config.kernel, else $MICROVM_KERNEL, else the microvm kernel from the
    // cache, else the newest installed distribution kernel),
    // ensures the initramfs, validates the runner.json made by make_runner_config() and
    // launches microvm-runner on it in config.vm_dir. Fails, with nothing left running, when
    // any of these steps fails.
    Result<std::unique_ptr<VmHandle>> start(VmConfig const& config) override;

    // The kernel the last successful start() booted, as describe() words it ("6.1.192-microvm
    // (/root/.cache/microvm/kernels/.../bzImage)"), for `inspect`; empty before.
    std::string booted_kernel() const override { return m_booted_kernel; }

private:
    QemuBackendOptions m_options;
    std::string m_booted_kernel;
};

} // namespace microvm::hypervisor::qemu
