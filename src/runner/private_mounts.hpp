// Mounts that only the runner and the VMM it hosts may see: made in a mount namespace of the
// runner's own, so they never appear on the host and vanish with the runner however it ends
// (no unmount needed, which matters to the libkrun engine: krun_start_enter ends the process
// without running destructors).
#pragma once

#include <string>
#include <string_view>

#include "base/error.hpp"

namespace microvm::runner {

// unshare(CLONE_NEWNS), then makes every mount private so nothing mounted afterwards
// propagates back to the host. Needs CAP_SYS_ADMIN.
Result<void> enter_private_mount_namespace();

// The overlayfs option string, with ',', ':' and '\' escaped as overlayfs requires.
std::string overlay_options(std::string_view lower, std::string_view upper, std::string_view work);

// Mounts overlay(lower, upper, work) on `target`, an existing directory (which may be `lower`
// itself: overlayfs resolves its layers before the mount covers them).
Result<void> mount_overlay(std::string const& lower, std::string const& upper,
                           std::string const& work, std::string const& target);

} // namespace microvm::runner
