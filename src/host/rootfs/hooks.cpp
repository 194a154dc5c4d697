#include "host/rootfs/hooks.hpp"

#include "host/rootfs/inject.hpp"

namespace microvm {

namespace {

rootfs::RootfsView view_of(VmRootfs const& rootfs) {
    return rootfs::RootfsView{
        .source = rootfs.source(), .upper_dir = rootfs.writable_dir(), .work_dir = {}};
}

rootfs::Attributes attributes(std::uint32_t mode, FileOwner owner) {
    return rootfs::Attributes{.mode = mode, .uid = owner.uid, .gid = owner.gid};
}

constexpr rootfs::Attributes root_dirs{.mode = 0755, .uid = 0, .gid = 0};

} // namespace

VmRootfs::VmRootfs(std::filesystem::path source, std::filesystem::path writable_dir,
                   std::optional<ImageWorkload> workload)
    : m_source(std::move(source)), m_writable_dir(std::move(writable_dir)),
      m_workload(std::move(workload)) {}

Result<void> VmRootfs::inject_file(InjectedFile const& file) {
    return rootfs::inject_file(view_of(*this),
                               rootfs::FileSpec{.guest_path = file.guest_path,
                                                .content = file.content,
                                                .attributes = attributes(file.mode, file.owner),
                                                .new_dirs = root_dirs});
}

Result<void> VmRootfs::inject_host_file(std::filesystem::path const& host_path,
                                        std::string const& guest_path, std::uint32_t mode,
                                        FileOwner owner) {
    return rootfs::inject_host_file(view_of(*this), host_path, guest_path, attributes(mode, owner));
}

Result<void> VmRootfs::inject_env_file(std::string const& guest_path,
                                       std::vector<std::string> const& env, std::uint32_t mode,
                                       FileOwner owner) {
    auto const text = TRY_CTX(rootfs::format_env_file(env), "inject " + guest_path);
    return rootfs::inject_file(view_of(*this),
                               rootfs::FileSpec{.guest_path = guest_path,
                                                .content = text,
                                                .attributes = attributes(mode, owner),
                                                .new_dirs = root_dirs});
}

Result<void> VmRootfs::inject_authorized_keys(std::string const& user,
                                              std::vector<std::string> const& keys) {
    return rootfs::inject_authorized_keys(view_of(*this), user, keys);
}

namespace rootfs {

Result<void> run_rootfs_hooks(std::vector<RootfsHook> const& hooks, RootfsView const& view,
                              std::optional<image::Workload> const& workload) {
    if (hooks.empty()) {
        return {};
    }
    std::optional<ImageWorkload> image_workload;
    if (workload) {
        image_workload = ImageWorkload{.argv = workload->argv,
                                       .env = workload->env,
                                       .cwd = workload->cwd,
                                       .uid = workload->uid,
                                       .gid = workload->gid};
    }
    VmRootfs rootfs(view.source, view.upper_dir, std::move(image_workload));
    for (auto const& hook : hooks) {
        if (!hook.run) {
            return fail("rootfs hook \"" + hook.name + "\" has no function");
        }
        TRY_CTX(hook.run(rootfs), "rootfs hook \"" + hook.name + "\"");
    }
    return {};
}

} // namespace rootfs
} // namespace microvm
