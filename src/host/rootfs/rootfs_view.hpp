// The VM's root as the engines boot it: an immutable source plus, when set, a per-VM upper
// directory that the runner overlays on it so the source is never written (view.hpp makes one).
#pragma once

#include <filesystem>

namespace microvm::rootfs {

struct RootfsView {
    std::filesystem::path source;
    std::filesystem::path upper_dir; // empty: the source itself is the (writable) root
    std::filesystem::path work_dir;  // overlayfs work directory, beside upper_dir
};

} // namespace microvm::rootfs
