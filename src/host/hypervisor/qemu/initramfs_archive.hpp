// Writing the qemu engine's base initramfs: a gzip-compressed newc cpio archive.
#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"

namespace microvm::hypervisor::qemu {

struct InitramfsModule {
    std::string name;  // canonical module name; stored as <initramfs_module_dir>/<name>.ko
    std::string bytes; // the uncompressed ELF object
};

struct InitramfsContents {
    std::string init;                     // the static microvm-init binary, stored as /init
    std::vector<InitramfsModule> modules; // in load order, dependencies first
};

// Writes the archive to `fd` (not closed): the directories /dev /etc /lib /lib/modules
// /newroot /proc /sys, the /dev/console node the kernel opens for init's stdio before any
// devtmpfs exists, /init (0755), each module (0644), and the load-order list
// (contract::initramfs_module_list, one "<name>.ko" per line). Owners are root and times 0,
// so equal contents give an equal archive.
Result<void> write_initramfs_archive(int fd, InitramfsContents const& contents);

} // namespace microvm::hypervisor::qemu
