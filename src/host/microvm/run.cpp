// microvm::run(): the pipeline from the caller's options to a started VM.
#include <spdlog/spdlog.h>

#include <microvm/microvm.hpp>

#include "contract/guest_config.hpp"
#include "host/hypervisor/libkrun/engine_section.hpp"
#include "host/hypervisor/qemu/engine_section.hpp"
#include "host/microvm/data_dir.hpp"
#include "host/microvm/image_source.hpp"
#include "host/microvm/post_boot_hooks.hpp"
#include "host/microvm/runner_config.hpp"
#include "host/microvm/vm_impl.hpp"
#include "host/microvm/vm_registry.hpp"
#include "host/net/guest_network.hpp"
#include "host/process/locate_runner.hpp"
#include "host/process/runner_launch.hpp"
#include "host/process/spawn.hpp"
#include "host/rootfs/guest_config_injection.hpp"
#include "host/rootfs/hooks.hpp"
#include "host/rootfs/layer_disk.hpp"
#include "host/rootfs/view.hpp"
#include "host/state/state_file.hpp"
#include "host/state/vm_dir.hpp"

namespace microvm {

namespace {

// go-microvm's default, so images without an Env behave the same under both.
constexpr char default_path_env[] =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Removes a VM directory that a failed run() created, so that bad input leaves nothing behind.
class VmDirGuard {
public:
    explicit VmDirGuard(std::filesystem::path dir) : m_dir(std::move(dir)) {}
    VmDirGuard(VmDirGuard const&) = delete;
    VmDirGuard& operator=(VmDirGuard const&) = delete;
    ~VmDirGuard() {
        if (!m_dir.empty()) {
            std::error_code ignored;
            std::filesystem::remove_all(m_dir, ignored);
        }
    }
    void commit() { m_dir.clear(); }

private:
    std::filesystem::path m_dir;
};

// What the VM boots: a prepared root (--rootfs), or an image's cached rootfs together with
// the workload its config describes and the lock that keeps prune away from it.
struct Root {
    std::filesystem::path path;
    std::optional<image::Workload> workload;
    std::optional<image::FileLock> lock;
};

Result<Root> resolve_root(std::string const& image, RunOptions const& options,
                          std::filesystem::path const& data_dir) {
    if (image.empty()) {
        if (options.rootfs.empty()) {
            return fail("no root file system: pass an image or --rootfs DIR");
        }
        return Root{.path = options.rootfs, .workload = std::nullopt, .lock = std::nullopt};
    }
    if (!options.rootfs.empty()) {
        return fail("both an image and --rootfs were given; pass one");
    }
    auto prepared = TRY(prepare_image(image, options, data_dir));
    auto workload = TRY(image_workload(prepared, options));
    return Root{
        .path = prepared.rootfs, .workload = std::move(workload), .lock = std::move(prepared.lock)};
}

contract::GuestConfig make_guest_config(RunOptions const& options, Root const& root) {
    contract::GuestConfig guest;
    guest.tmp_size_mib = options.tmp_size_mib;
    for (auto const& mount : options.mounts) {
        guest.virtiofs_mounts.push_back({.tag = mount.tag,
                                         .guest_path = mount.guest_path,
                                         .read_only = mount.read_only,
                                         .allow_setuid = mount.allow_setuid,
                                         .allow_devices = mount.allow_devices});
    }
    if (root.workload) {
        guest.argv = root.workload->argv;
        guest.env = root.workload->env;
        guest.cwd = root.workload->cwd;
        guest.user = guest_user(*root.workload);
    } else {
        guest.argv = options.command;
        guest.env.push_back(default_path_env);
        guest.env.insert(guest.env.end(), options.env.begin(), options.env.end());
        guest.cwd = options.workdir.value_or("/");
    }
    guest.hostname = options.name;
    guest.interactive = options.interactive;
    guest.tty = options.tty;
    guest.network = net::guest_network(options);
    return guest;
}

// The engine's part of the start: its section of runner.json and the files its guest boots
// from (qemu: kernel and initramfs; libkrun: microvm-init in the VM's layer). Returns the
// kernel booted, for `inspect`; empty when the engine cannot tell (libkrunfw's).
Result<std::string> add_engine_section(contract::RunnerConfig& config, RunOptions const& options,
                                       rootfs::RootfsView const& view,
                                       std::filesystem::path const& data_dir,
                                       std::filesystem::path const& runner) {
    // Built and installed together, so an init never boots with a runner of another version.
    auto const init = runner.parent_path() / process::init_binary_name;
    switch (options.backend) {
    case BackendKind::qemu:
        return hypervisor::qemu::add_qemu_section(
            config, {.data_dir = data_dir, .init_binary = init, .kernel = options.kernel});
    case BackendKind::libkrun:
        TRY(hypervisor::libkrun::add_libkrun_section(config, view, {.init_binary = init}));
        return std::string();
    }
    return fail("unknown backend");
}

// RunOptions::disk_size: moves the VM's writable layer onto a disk of that size, last before
// the runner starts (hooks, the guest config and the engine's files are in the layer by then).
// Returns the cap, or std::nullopt for none: by choice (0), or because this host cannot make
// one and none was asked for (said once, as a warning).
Result<std::optional<std::uint64_t>> cap_writable_layer(RunOptions const& options,
                                                        rootfs::RootfsView const& view,
                                                        state::VmDir const& vm_dir,
                                                        contract::RunnerConfig& config) {
    std::uint64_t const size = options.disk_size.value_or(default_disk_size);
    if (size == 0) {
        return std::nullopt;
    }
    if (auto why = rootfs::layer_disk_unavailable(view)) {
        if (options.disk_size) {
            return fail("disk_size: the cap cannot be enforced on this host: " + *why);
        }
        spdlog::warn("vm {}: no cap on what the guest writes into its root: {}", options.name,
                     *why);
        return std::nullopt;
    }
    TRY(rootfs::move_layer_to_disk(view, vm_dir.layer_disk(), size));
    config.root_disk_image = vm_dir.layer_disk().string();
    return size;
}

Result<Vm> start(std::string const& image, RunOptions const& options) {
    TRY(validate(options));
    auto data_dir = TRY_CTX(resolve_data_dir(options.data_dir), "data directory");
    TRY_CTX(ensure_private_dir(data_dir), "data directory");
    // Before anything is pulled or prepared, so a VM that cannot work leaves nothing behind.
    TRY(run_preflight(options, data_dir));
    // The name is claimed by one mkdir, so of two runs with one name exactly one gets past
    // here; the guard gives the name back when anything below fails (a failed pull included).
    auto vm_dir = TRY(claim_vm_dir(data_dir, options.name));
    VmDirGuard guard(vm_dir);
    TRY_CTX(state::write_state(vm_dir, created_record(image, options)), "record vm");
    auto root = TRY(resolve_root(image, options, data_dir));

    // The view is built on the source and never writes it (the image cache stays immutable).
    auto view = TRY_CTX(rootfs::create_view(root.path, vm_dir), "prepare root file system");
    // Before the guest config, so /etc/microvm.json is always microvm's own.
    TRY(rootfs::run_rootfs_hooks(options.rootfs_hooks, view, root.workload));
    TRY_CTX(rootfs::inject_guest_config(view, make_guest_config(options, root)),
            "write guest configuration");

    auto const runner_binary = TRY(process::locate_runner());
    auto config = runner_config_for(options, view, state::VmDir(vm_dir));
    auto const kernel = TRY_CTX(add_engine_section(config, options, view, data_dir, runner_binary),
                                to_string(options.backend));
    auto const disk_size = TRY(cap_writable_layer(options, view, state::VmDir(vm_dir), config));
    auto runner =
        TRY_CTX(process::launch_runner(std::move(config),
                                       {.runner = runner_binary,
                                        .vm_dir = vm_dir,
                                        .env = process::current_environment(),
                                        .held_lock_fd = root.lock ? root.lock->fd() : -1}),
                "start vm");
    if (auto recorded = record_started(vm_dir, kernel, root.path, runner->identity(), disk_size);
        !recorded) {
        // A VM nobody can find again must not keep running.
        (void)runner->stop(std::chrono::seconds(0));
        return std::unexpected(std::move(recorded.error()).context("record vm"));
    }

    auto impl = std::make_unique<Vm::Impl>();
    impl->name = options.name;
    impl->vm_dir = vm_dir;
    impl->rootfs = root.path;
    // The runner inherited the lock's descriptor (held_lock_fd) and holds it until it exits,
    // so a VM that outlives this process (`run -d`) keeps its rootfs safe from `image prune`.
    impl->rootfs_lock = std::move(root.lock);
    impl->ports = options.ports;
    impl->runner = runner->identity();
    impl->runner_is_child = true;
    impl->auto_remove = options.auto_remove;
    impl->handle = std::move(runner);
    guard.commit();
    return Vm(std::move(impl));
}

} // namespace

Result<Vm> run(std::string const& image, RunOptions const& options) {
    auto vm = start(image, options);
    if (vm) {
        if (auto hooked = run_post_boot_hooks(options.post_boot_hooks, *vm); !hooked) {
            vm = std::unexpected(std::move(hooked.error()));
        }
    }
    if (!vm) {
        return std::unexpected(
            std::move(vm.error())
                .context("run " + (image.empty() ? options.rootfs.string() : image)));
    }
    return vm;
}

} // namespace microvm
