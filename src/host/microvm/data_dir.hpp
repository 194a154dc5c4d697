// Where microvm keeps its state on the host (DESIGN.md §4.5): the data directory and one
// directory per VM under it.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace microvm {

// The environment variables that choose the data directory; std::nullopt means unset.
struct DataDirEnvironment {
    std::optional<std::string> microvm_data_dir = std::nullopt; // $MICROVM_DATA_DIR
    std::optional<std::string> xdg_data_home = std::nullopt;    // $XDG_DATA_HOME
    std::optional<std::string> home = std::nullopt;             // $HOME

    // Reads the three variables from this process's environment.
    static DataDirEnvironment from_process();
};

// The data directory: `configured` when not empty, else $MICROVM_DATA_DIR, else
// $XDG_DATA_HOME/microvm, else $HOME/.local/share/microvm. Empty variables count as unset.
// Fails when none of them is set, or when the result is not absolute (a relative data
// directory would change meaning with the working directory).
Result<std::filesystem::path> resolve_data_dir(std::filesystem::path const& configured,
                                               DataDirEnvironment const& env);
// Same, with this process's environment.
Result<std::filesystem::path> resolve_data_dir(std::filesystem::path const& configured = {});

// Creates `path` (and missing parents) and makes the directory itself private (0700). Fails
// when it exists but is not a directory (a symlink is refused), or belongs to another user.
Result<void> ensure_private_dir(std::filesystem::path const& path);

// A VM name is used as a directory name and inside socket paths: 1..64 bytes of
// [A-Za-z0-9_.-], starting with a letter or digit (so never "." or "..").
Result<void> validate_vm_name(std::string_view name);

// The longest VM name. Unix socket paths hold 107 bytes, and the VM's sockets live in
// <data dir>/vms/<name>/, so long names would leave no room for the data directory.
inline constexpr std::size_t max_vm_name_length = 64;

// Claims the name: creates <data_dir>/vms/<name> (0700) with one mkdir(2), which of two
// processes claiming the same name at once only one can win. Fails with "a VM named ...
// already exists" when the directory is there already.
Result<std::filesystem::path> claim_vm_dir(std::filesystem::path const& data_dir,
                                           std::string_view name);

// <data_dir>/vms/<name> of an existing VM. Fails with "no VM named ..." when there is none,
// and on an invalid name.
Result<std::filesystem::path> existing_vm_dir(std::filesystem::path const& data_dir,
                                              std::string_view name);

} // namespace microvm
