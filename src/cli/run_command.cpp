#include "cli/run_command.hpp"

#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <random>
#include <thread>

#include <microvm/microvm.hpp>

#include "cli/attach_command.hpp"
#include "cli/mount_spec.hpp"
#include "cli/network_options.hpp"
#include "cli/resource_options.hpp"

namespace microvm::cli {

namespace {

struct RunArgs {
    std::string rootfs;
    std::vector<std::string> volumes;
    std::vector<std::string> mounts;
    std::vector<std::string> env;
    std::string workdir;
    std::string name;
    std::uint32_t cpus = 1;
    std::uint32_t memory_mib = 512;
    std::string kernel;
    std::string backend = "qemu";
    std::string platform;
    std::string pull = "missing";
    bool allow_guest_only_readonly = false;
    // -d: print the name and leave the VM running once it has started.
    bool detach = false;
    // -i, -t: the workload's stdin, a terminal; attached to at once unless -d.
    bool interactive = false;
    bool tty = false;
    std::string detach_keys = default_detach_keys;
    // --rm: remove the VM when it ends (a foreground run always does after a normal end).
    bool remove = false;
    NetworkArgs network;
    ResourceArgs resources;
    // [IMAGE] CMD [ARG...]: everything from the first positional argument on, split off argv
    // before parsing so that the workload's own flags are never taken for microvm's.
    std::shared_ptr<std::vector<std::string>> workload;
};

// `-e KEY` without a value takes the value from microvm's own environment, as docker does.
Result<std::string> resolve_env(std::string const& entry) {
    if (entry.find('=') != std::string::npos) {
        return entry;
    }
    char const* value = std::getenv(entry.c_str());
    if (value == nullptr) {
        return fail("-e " + entry + ": not set in this environment (use KEY=VALUE)");
    }
    return entry + "=" + value;
}

Result<RunOptions> to_options(RunArgs const& args, std::string& image) {
    RunOptions options;
    if (!args.name.empty()) {
        options.name = args.name;
    }
    options.cpus = args.cpus;
    options.memory_mib = args.memory_mib;
    options.kernel = args.kernel;
    options.backend = TRY_CTX(parse_backend(args.backend), "--backend");
    options.pull = TRY_CTX(parse_pull_policy(args.pull), "--pull");
    options.platform = args.platform;
    options.read_only_policy = args.allow_guest_only_readonly ? ReadOnlyPolicy::allow_guest_only
                                                              : ReadOnlyPolicy::require_host;
    if (!args.workdir.empty()) {
        options.workdir = args.workdir;
    }
    for (auto const& entry : args.env) {
        options.env.push_back(TRY(resolve_env(entry)));
    }
    for (auto const& spec : args.volumes) {
        options.mounts.push_back(TRY(parse_volume(spec)));
    }
    for (auto const& spec : args.mounts) {
        options.mounts.push_back(TRY(parse_mount(spec)));
    }
    assign_tags(options.mounts);
    TRY(apply_network_options(args.network, options));
    TRY(apply_resource_options(args.resources, options));

    auto const& positional = *args.workload;
    auto rest = positional.begin();
    if (rest != positional.end() && *rest == "--") {
        ++rest;
    }
    if (!args.rootfs.empty()) {
        std::error_code error;
        auto const absolute = std::filesystem::absolute(args.rootfs, error);
        if (error) {
            return fail_errno("--rootfs " + args.rootfs, error.value());
        }
        options.rootfs = absolute.lexically_normal();
    } else {
        if (rest == positional.end()) {
            return fail("an image or --rootfs DIR is required");
        }
        image = *rest++;
    }
    options.command.assign(rest, positional.end());
    options.interactive = args.interactive;
    options.tty = args.tty;
    return options;
}

// "microvm-" and 8 random hex digits, so that unnamed runs never collide.
std::string generated_name() {
    std::random_device random;
    char suffix[9];
    std::snprintf(suffix, sizeof suffix, "%08x", static_cast<unsigned>(random()));
    return std::string("microvm-") + suffix;
}

// `run -d` returns once the VM is running: its runner has reported the VMM started. A runner
// that ends before that failed to start the VM: its error is run's.
constexpr auto detach_start_limit = std::chrono::minutes(5);

Result<int> run_detached(Vm& vm) {
    auto const give_up = std::chrono::steady_clock::now() + detach_start_limit;
    while (vm.alive() && !vm.vmm_started()) {
        if (std::chrono::steady_clock::now() > give_up) {
            std::cerr << "microvm run: warning: vm " << vm.name()
                      << " has not started its VMM yet; see microvm logs --console " << vm.name()
                      << "\n";
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!vm.alive()) {
        auto status = vm.wait();
        if (!status) {
            return std::unexpected(
                std::move(status.error())
                    .context("vm " + vm.name() + " (logs in " + vm.data_dir().string() + ")"));
        }
    }
    std::cout << vm.name() << std::endl;
    return 0;
}

Result<int> run_verb(RunArgs const& args) {
    std::string image;
    auto options = TRY(to_options(args, image));
    if (args.name.empty()) {
        options.name = generated_name();
    }
    // A foreground run removes its VM itself below; a detached one leaves it to its runner.
    options.auto_remove = args.detach && args.remove;
    auto vm = TRY(microvm::run(image, options));
    if (args.detach) {
        return run_detached(vm);
    }
    Result<int> status = 0;
    if (args.interactive || args.tty) {
        auto const keys = TRY_CTX(parse_detach_keys(args.detach_keys), "--detach-keys");
        auto const end = attach_user(vm, args.interactive, args.tty, keys);
        if (end && *end == AttachEnd::detached) {
            std::cout << vm.name() << std::endl;
            return 0; // the VM runs on, as after run -d
        }
        status = end ? vm.wait() : Result<int>(std::unexpected(end.error()));
    } else {
        status = vm.follow(STDOUT_FILENO, STDERR_FILENO);
    }
    if (!status) {
        // Keep the VM's directory: its logs say what went wrong.
        return std::unexpected(
            std::move(status.error())
                .context("vm " + vm.name() + " (logs in " + vm.data_dir().string() + ")"));
    }
    // A foreground VM that ran to its end leaves nothing behind, like `docker run --rm`.
    TRY(vm.remove());
    return *status;
}

} // namespace

std::size_t workload_start(CLI::App const& run, std::vector<std::string> const& args,
                           std::size_t first) {
    for (std::size_t i = first; i < args.size(); ++i) {
        auto const& arg = args[i];
        if (arg == "--") {
            return i;
        }
        if (arg.size() < 2 || arg[0] != '-') {
            return i;
        }
        if (arg.find('=') != std::string::npos) {
            continue;
        }
        // An option that takes a value consumes the next argument, whatever it looks like.
        auto const* option = run.get_option_no_throw(arg);
        if (option != nullptr && option->get_items_expected_max() > 0) {
            ++i;
        }
    }
    return args.size();
}

std::function<Result<int>()> add_run_command(CLI::App& app,
                                             std::shared_ptr<std::vector<std::string>> workload) {
    auto args = std::make_shared<RunArgs>();
    args->workload = std::move(workload);
    auto* run = app.add_subcommand("run", "Run a command in a new microVM");
    run->add_option("--rootfs", args->rootfs,
                    "Boot this prepared root directory instead of an image")
        ->check(CLI::ExistingDirectory);
    run->add_option("-v,--volume", args->volumes,
                    "Share a host directory: HOST:GUEST[:OPTIONS], OPTIONS ro|rw, suid (allow "
                    "setuid/setgid files and file capabilities), dev (allow device nodes)");
    run->add_option("--mount", args->mounts,
                    "Share a host directory: "
                    "type=virtiofs,source=HOST,target=GUEST[,readonly][,suid][,dev][,tag=TAG]");
    run->add_option("-e,--env", args->env, "Set an environment variable: KEY=VALUE");
    run->add_option("-w,--workdir", args->workdir, "Working directory of the command");
    run->add_option("--name", args->name, "Name of the VM");
    run->add_option("--cpus", args->cpus, "Virtual CPUs")->check(CLI::Range(1, 255));
    run->add_option("--memory", args->memory_mib, "Memory in MiB")->check(CLI::PositiveNumber);
    run->add_option("--kernel", args->kernel, "Guest kernel (qemu backend)");
    run->add_option("--backend", args->backend, "qemu or libkrun");
    run->add_option("--pull", args->pull,
                    "When to pull the image: missing (default), always or never");
    run->add_option("--platform", args->platform,
                    "Platform to pick from a multi-platform image: os/arch[/variant]");
    add_network_options(*run, args->network);
    add_resource_options(*run, args->resources);
    run->add_flag("-d,--detach", args->detach,
                  "Run in the background: print the VM's name once it has started");
    run->add_flag("-i,--interactive", args->interactive,
                  "Keep the workload's stdin open and pass this one to it");
    run->add_flag("-t,--tty", args->tty, "Give the workload a pseudo-terminal in the VM");
    run->add_option("--detach-keys", args->detach_keys,
                    "Keys that detach from -it, leaving the VM running (default ctrl-p,ctrl-q)");
    run->add_flag("--rm", args->remove,
                  "Remove the VM when it ends (what a foreground run does after a normal end)");
    run->add_flag("--allow-guest-only-readonly", args->allow_guest_only_readonly,
                  "Start even when a read-only share cannot be enforced by the host");
    run->footer("Arguments: [IMAGE] [--] CMD [ARG...]\n"
                "  With --rootfs there is no IMAGE. Everything from CMD on is the workload's.");
    return [args]() -> Result<int> {
        return run_verb(*args);
    };
}

} // namespace microvm::cli
