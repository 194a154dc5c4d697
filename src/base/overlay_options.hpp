// The overlayfs mount option string. The host probes the very overlay the runner later mounts,
// so both build it here.
#pragma once

#include <string>
#include <string_view>

namespace microvm::base {

// "lowerdir=L,upperdir=U,workdir=W", with ',', ':' and '\' in the paths escaped as overlayfs
// requires (':' separates lower layers and ',' options; unescaped, either would change the mount).
std::string overlay_options(std::string_view lower, std::string_view upper, std::string_view work);

// One path escaped as in overlay_options(), for a single option's value.
std::string escape_overlay_path(std::string_view path);

} // namespace microvm::base
