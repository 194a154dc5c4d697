// Reading the Linux x86 boot protocol header of a kernel image (bzImage).
#pragma once

#include <filesystem>
#include <string>

#include "base/error.hpp"

namespace microvm::hypervisor::qemu {

// The kernel release of a bzImage ("6.1.0-56-amd64"), read from the version string that the
// boot protocol header points to (Documentation/arch/x86/boot.rst, field kernel_version).
// Lets an explicit --kernel find its modules without trusting its file name. Fails when the
// file is not a bzImage or carries no version string.
Result<std::string> read_bzimage_release(std::filesystem::path const& image);

} // namespace microvm::hypervisor::qemu
