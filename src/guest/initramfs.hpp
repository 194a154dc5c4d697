// Giving the initramfs' memory back. Its files (init itself, the kernel modules) live in RAM
// as long as they exist, and nothing reaches them after the switch into the root, so they are
// deleted first, as switch_root(8) does.
#pragma once

#include <sys/types.h>

#include "base/error.hpp"

namespace microvm::guest {

// Deletes everything below the open directory `dir` that is on the device `device`, without
// following symlinks and without entering other file systems: a directory on another device
// (a mount point: /proc, /dev, /newroot) is left as it is, with everything in it. Keeps going
// after a failure and returns the first one.
Result<void> remove_contents_on_device(int dir, dev_t device);

// remove_contents_on_device("/") when this process is PID 1 and "/" is a ramfs or tmpfs (the
// initramfs); otherwise nothing, so that no other root can ever be emptied by mistake.
Result<void> free_initramfs();

} // namespace microvm::guest
