// What the libkrun engine adds to a VM's start: microvm-init in the VM's own layer of its root
// (libkrun's init runs it; DESIGN.md §2) and the libkrun section of runner.json. Host code never
// calls krun_* itself: the runner's libkrun engine does.
#pragma once

#include <filesystem>
#include <string>

#include "base/error.hpp"
#include "contract/runner_config.hpp"
#include "host/rootfs/rootfs_view.hpp"

namespace microvm::hypervisor::libkrun {

struct LibkrunSectionOptions {
    // What the runner dlopen()s: a library name searched the usual way, or a path.
    std::string library = "libkrun.so.1";
    // The static microvm-init to put into the root.
    std::filesystem::path init_binary;
};

// Copies microvm-init into the view's writable layer at contract::libkrun_init_path (never
// into the source; no symlink the image planted is followed), then sets config.engine and
// config.libkrun (library, init). Fails, naming the file, when init cannot be read or written.
Result<void> add_libkrun_section(contract::RunnerConfig& config, rootfs::RootfsView const& view,
                                 LibkrunSectionOptions const& options);

} // namespace microvm::hypervisor::libkrun
