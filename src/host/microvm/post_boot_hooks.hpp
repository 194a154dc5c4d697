// The caller's post-boot hooks (microvm/hooks.hpp), the last step of run().
#pragma once

#include <vector>

#include <microvm/hooks.hpp>
#include <microvm/microvm.hpp>

#include "base/error.hpp"

namespace microvm {

// Runs `hooks` in order on the started VM. On the first failure the VM is removed (stopped,
// waited for, its directory deleted), so nothing of it keeps running, and the hook's error is
// returned with the context "post-boot hook \"<name>\"".
Result<void> run_post_boot_hooks(std::vector<PostBootHook> const& hooks, Vm& vm);

} // namespace microvm
