// Reading a kernel module file, compressed or not.
#pragma once

#include <filesystem>
#include <string>

#include "base/error.hpp"

namespace microvm::hypervisor::qemu {

// The ELF bytes of a module: a plain .ko is read as is; .ko.xz, .ko.zst and .ko.gz are
// decompressed (with libarchive), because microvm-init loads modules with finit_module()
// and a guest kernel need not support in-kernel decompression.
// Fails when the file cannot be read, does not decompress, or exceeds max_module_bytes.
Result<std::string> read_module_file(std::filesystem::path const& path);

// The largest module Debian ships is a few MiB (amdgpu ~ 20 MiB uncompressed); anything
// far bigger is not a module, and the whole file is held in memory.
inline constexpr std::size_t max_module_bytes = 64u << 20;

} // namespace microvm::hypervisor::qemu
