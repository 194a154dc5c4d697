// Choosing between KVM and TCG.
#pragma once

#include <string_view>

#include "base/error.hpp"
#include "base/kvm.hpp"
#include "runner/engine/qemu/qemu_argv.hpp"

namespace microvm::runner::qemu {

// The probe lives in base/ because the host's preflight asks the same question.
using base::KvmProbe;
using base::probe_kvm;

// `setting` is qemu.accel: "auto" takes KVM when it is usable and hardware-backed, "kvm" insists
// on KVM (an error when /dev/kvm cannot be opened), "tcg" never uses it.
Result<Accelerator> choose_accelerator(std::string_view setting, KvmProbe const& probe);

} // namespace microvm::runner::qemu
