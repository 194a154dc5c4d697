// Reading /etc/microvm.json from the guest's root.
#pragma once

#include <string>

#include "base/error.hpp"
#include "contract/guest_config.hpp"

namespace microvm::guest {

// The guest config in the tree `root` (contract::guest_config_relative_path), read without
// following any symlink. A missing file gives the defaults; a file that cannot be read or does
// not parse is an error naming /etc/microvm.json, on which the boot must stop.
Result<contract::GuestConfig> read_guest_config(std::string const& root);

} // namespace microvm::guest
