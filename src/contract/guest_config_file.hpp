// Reading /etc/microvm.json in the guest and writing it into a rootfs on the host.
#pragma once

#include <cstddef>
#include <filesystem>

#include "base/error.hpp"
#include "contract/guest_config.hpp"

namespace microvm::contract {

// Far more than any config needs (argv and env together are capped near 2 MiB by execve with
// the default stack limit), and small enough that a corrupt file cannot exhaust guest memory.
inline constexpr std::size_t max_guest_config_bytes = 4 * 1024 * 1024;

// Reads and parses the guest config at `path` (in the guest, "/etc/microvm.json"). A missing
// file (ENOENT) yields the defaults. Any other failure to read it, a file that is not a
// regular file or is larger than max_guest_config_bytes, and any parse error fail with a
// message naming the file; the caller must then stop rather than boot with defaults.
Result<GuestConfig> read_guest_config(std::filesystem::path const& path);

// Writes `config` to etc/microvm.json (mode 0644) below the rootfs `root_dir`, creating etc
// (0755) when missing, atomically and through the safe-file layer: an etc that is a symlink
// (to a host directory or anywhere else) is an error, and a microvm.json that is a symlink is
// replaced, never followed, so nothing outside `root_dir` is ever written. Fails naming the
// file when root_dir is missing, etc is a symlink or not a directory, or a write fails.
Result<void> write_guest_config(std::filesystem::path const& root_dir, GuestConfig const& config);

} // namespace microvm::contract
