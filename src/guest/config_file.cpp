#include "guest/config_file.hpp"

#include <cerrno>

#include "base/safe_file.hpp"
#include "contract/guest_config_file.hpp"

namespace microvm::guest {

Result<contract::GuestConfig> read_guest_config(std::string const& root) {
    std::string const name = std::string("/") + contract::guest_config_relative_path;
    base::Fd const dir = TRY_CTX(base::open_root(root), "read " + name);
    // No symlink is followed: the file is read before the switch into the root, where a link
    // would resolve against the initramfs.
    auto text = base::read_file_in_root(dir, contract::guest_config_relative_path,
                                        contract::max_guest_config_bytes);
    if (!text) {
        if (text.error().errno_value() == ENOENT) {
            return contract::GuestConfig{};
        }
        return std::unexpected(std::move(text.error()).context("read " + name));
    }
    return contract::parse_guest_config(*text, name);
}

} // namespace microvm::guest
