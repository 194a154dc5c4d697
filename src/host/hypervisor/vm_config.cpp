#include "host/hypervisor/vm_config.hpp"

namespace microvm::hypervisor {

std::vector<FilesystemMount> to_filesystem_mounts(std::vector<VirtioFSMount> const& mounts) {
    std::vector<FilesystemMount> result;
    result.reserve(mounts.size());
    for (auto const& mount : mounts) {
        result.push_back(FilesystemMount{
            .tag = mount.tag,
            .host_path = mount.host_path,
            .read_only = mount.read_only,
        });
    }
    return result;
}

} // namespace microvm::hypervisor
