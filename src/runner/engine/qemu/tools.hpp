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
};

// Children are started by absolute path only, never through a PATH search of their own.
using base::find_executable;

// Resolves qemu.binary through $PATH and checks that the kernel, the initrd and virtiofsd
// exist. Errors name the setting and the path: "qemu.kernel not found: /boot/vmlinuz".
Result<QemuTools> resolve_tools(contract::QemuSettings const& settings);

} // namespace microvm::runner::qemu
