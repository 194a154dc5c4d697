// Writing the guest config (/etc/microvm.json) into a VM's rootfs view before boot.
#pragma once

#include "base/error.hpp"
#include "contract/guest_config.hpp"
#include "host/rootfs/rootfs_view.hpp"

namespace microvm::rootfs {

// Writes `config` as etc/microvm.json into the view's upper directory (into the source when
// the view has none, i.e. the root is the VM's own writable copy), through the same writer as
// every injected file (inject.hpp), with ImageLinks::replace: nothing an image planted is
// followed. Fails, naming the file, when it cannot be
// written; the VM must then not boot, since the guest would run without its shares' modes.
//
// What the guest sees, once the runner has mounted the overlay:
// - The image's etc is a directory (every mainstream image): overlayfs merges upper/etc with
//   it, so the guest sees the image's /etc plus our microvm.json. A microvm.json the image
//   shipped is hidden by ours: an image cannot supply its own guest config. A merged
//   directory shows the upper directory's mode and owner, so upper/etc is first created with
//   those of the image's etc.
// - The image's etc is a symlink (say to usr/etc) or not a directory: overlayfs merges only a
//   directory with a directory, so upper/etc replaces it. The guest's /etc then holds
//   microvm.json alone; the image's files stay reachable at the link's target (/usr/etc/...)
//   but not under /etc. Writing through the link instead would follow a path the image
//   planted, so we accept this for such (unusual) images.
Result<void> inject_guest_config(RootfsView const& view, contract::GuestConfig const& config);

} // namespace microvm::rootfs
