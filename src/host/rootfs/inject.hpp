// Writing files into a VM's root before boot: the one code path behind /etc/microvm.json and
// the helpers rootfs hooks use (microvm/hooks.hpp). Paths are resolved as the guest will see
// them and created with no symlink followed (inject_path.hpp); files are replaced atomically
// through the safe-file layer.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "host/rootfs/inject_path.hpp"
#include "host/rootfs/rootfs_view.hpp"

namespace microvm::rootfs {

// A host file copied into a root is read whole first; the cap bounds that memory.
inline constexpr std::size_t max_injected_host_file_bytes = 256u << 20;

struct FileSpec {
    std::string guest_path; // absolute; its last component names the file
    std::string_view content;
    Attributes attributes{.mode = 0644};
    // For parent directories created where the image has none.
    Attributes new_dirs{.mode = 0755};
    ImageLinks links = ImageLinks::follow;
};

// Writes one file into the view's writable layer (the copy, for a copy view). Errors start
// with "inject <guest_path>".
Result<void> inject_file(RootfsView const& view, FileSpec const& file);

// Copies the host file `host_path` into the view as `guest_path`.
Result<void> inject_host_file(RootfsView const& view, std::filesystem::path const& host_path,
                              std::string const& guest_path, Attributes const& attributes);

// Copies the static guest init `host_binary` into the view as `guest_path` (0755, parents 0755),
// with ImageLinks::replace: no symlink the image planted on the way is followed, so the engine can
// reach it with RESOLVE_NO_SYMLINKS.
Result<void> inject_guest_init(RootfsView const& view, std::filesystem::path const& host_binary,
                               std::string const& guest_path);

// "KEY=VALUE\n" per entry; fails on an entry that could not be read back as itself.
Result<std::string> format_env_file(std::vector<std::string> const& env);

// <home of user>/.ssh/authorized_keys holding `keys`, 0600 in a 0700 ~/.ssh, owned by `user`
// as the image's /etc/passwd resolves it.
Result<void> inject_authorized_keys(RootfsView const& view, std::string const& user,
                                    std::vector<std::string> const& keys);

} // namespace microvm::rootfs
