// The files the qemu engine cannot start without.
#pragma once

#include <string>
#include <string_view>

#include "base/error.hpp"
#include "base/executable.hpp"
#include "contract/runner_config.hpp"

namespace microvm::runner::qemu {

struct QemuTools {
    std::string qemu; // absolute
    std::string kernel;
    std::string initrd;
    std::string virtiofsd; // absolute
    // qboot (qemu's minimal firmware) when this qemu ships it, else empty: qemu's default
    // SeaBIOS. qboot jumps straight to the kernel, without SeaBIOS's device scan and option
    // ROMs, ~0.2 s less per boot under TCG (docs/BENCHMARKS.md).
    std::string firmware;
};

// Children are started by absolute path only, never through a PATH search of their own.
using base::find_executable;

// Resolves qemu.binary through $PATH and checks that the kernel, the initrd and virtiofsd
// exist. Errors name the setting and the path: "qemu.kernel not found: /boot/vmlinuz".
Result<QemuTools> resolve_tools(contract::QemuSettings const& settings);

// <prefix>/share/qemu/qboot.rom for qemu at <prefix>/bin/<name>, where qemu's own packages
// install it; empty when that is not a readable regular file.
std::string find_qboot(std::string const& qemu);

} // namespace microvm::runner::qemu
