// Kernel modules of the initramfs. Debian's kernel builds virtio, virtio-fs and the virtio
// console as modules, so nothing reaches the host until init has loaded them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace microvm::guest {

// Parses the module list (contract::initramfs_module_list): one file name per line, in load
// order. Blank lines and lines starting with '#' are skipped; surrounding blanks are trimmed.
// A name with a '/' or that is "." or ".." is an error naming the line: the modules all live in
// one directory.
Result<std::vector<std::string>> parse_module_list(std::string_view text);

// Loads each module file `dir`/<name> in order with finit_module(2). A module that is already
// loaded (EEXIST) is fine; any other failure stops, naming the file. Compressed files
// (.xz, .zst, .gz) are handed to the kernel to decompress.
Result<void> load_modules(std::string const& dir, std::vector<std::string> const& names);

// Reads the list at `list_path` and loads the modules from `dir`. A missing list means a kernel
// that needs no modules (virtio built in, or libkrun's kernel): nothing to do.
Result<void> load_listed_modules(std::string const& list_path, std::string const& dir);

} // namespace microvm::guest
