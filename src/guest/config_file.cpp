#include "guest/config_file.hpp"

#include "guest/files.hpp"

namespace microvm::guest {

Result<contract::GuestConfig> read_guest_config(std::string const& root) {
    std::string const name = std::string("/") + contract::guest_config_relative_path;
    auto const text = TRY_CTX(
        read_optional_file_in_root(root, contract::guest_config_relative_path), "read " + name);
    if (!text) {
        return contract::GuestConfig{};
    }
    return contract::parse_guest_config(*text, name);
}

} // namespace microvm::guest
