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
#include "host/hypervisor/vm_config.hpp"
#include "host/rootfs/inject_path.hpp"

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
[[nodiscard]] Result<void> inject_file(hypervisor::RootfsView const& view, FileSpec const& file);

// Copies the host file `host_path` into the view as `guest_path`.
[[nodiscard]] Result<void> inject_host_file(hypervisor::RootfsView const& view,
                                            std::filesystem::path const& host_path,
                                            std::string const& guest_path,
                                            Attributes const& attributes);

// "KEY=VALUE\n" per entry; fails on an entry that could not be read back as itself.
[[nodiscard]] Result<std::string> format_env_file(std::vector<std::string> const& env);

// <home of user>/.ssh/authorized_keys holding `keys`, 0600 in a 0700 ~/.ssh, owned by `user`
// as the image's /etc/passwd resolves it.
[[nodiscard]] Result<void> inject_authorized_keys(hypervisor::RootfsView const& view,
                                                  std::string const& user,
                                                  std::vector<std::string> const& keys);

} // namespace microvm::rootfs
