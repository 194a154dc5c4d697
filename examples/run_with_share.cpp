// An example of embedding libmicrovm: boot an image (or a prepared root file system) with a
// host directory shared read-only at /share, stream the workload's output, wait for it, and
// print its exit code.
//
//     microvm-example-run IMAGE SHARE_DIR [COMMAND...]
//     microvm-example-run --rootfs DIR SHARE_DIR [COMMAND...]
//
// A rootfs hook also writes /etc/microvm-example into the VM's own writable layer (the image
// is never changed), and a post-boot hook reports the VM once it has started. The data
// directory is $MICROVM_DATA_DIR, else ~/.local/share/microvm, as for the microvm command.
// Exits with the workload's status, or 125 when microvm could not run it.
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include <microvm/microvm.hpp>

namespace {

int usage() {
    std::cerr << "usage: microvm-example-run (IMAGE | --rootfs DIR) SHARE_DIR [COMMAND...]\n";
    return 125;
}

} // namespace

int main(int argc, char** argv) {
    // The library reports warnings (such as "KVM is not usable") through spdlog, whose default
    // logger writes to stdout; this program's stdout carries the workload's output.
    spdlog::set_default_logger(std::make_shared<spdlog::logger>(
        "example", std::make_shared<spdlog::sinks::stderr_sink_st>()));
    std::vector<std::string> args(argv + 1, argv + argc);
    std::string image;
    microvm::RunOptions options;
    std::size_t next = 0;
    if (args.size() >= 2 && args[0] == "--rootfs") {
        options.rootfs = args[1];
        next = 2;
    } else if (!args.empty()) {
        image = args[0];
        next = 1;
    }
    if (next >= args.size()) {
        return usage();
    }
    options.mounts.push_back(
        {.tag = "share", .host_path = args[next], .guest_path = "/share", .read_only = true});
    options.command.assign(args.begin() + static_cast<std::ptrdiff_t>(next + 1), args.end());
    options.name = "example-" + std::to_string(::getpid());

    options.rootfs_hooks.push_back(
        {.name = "greeting", .run = [](microvm::VmRootfs& rootfs) -> microvm::Result<void> {
             std::string text = "written by microvm-example-run\n";
             if (rootfs.workload()) {
                 text += "image command: " + rootfs.workload()->argv.front() + "\n";
             }
             return rootfs.inject_file({.guest_path = "/etc/microvm-example", .content = text});
         }});
    options.post_boot_hooks.push_back(
        {.name = "report", .run = [](microvm::Vm& vm) -> microvm::Result<void> {
             std::cerr << "started VM " << vm.name() << " (runner pid " << vm.id() << ")\n";
             return {};
         }});

    auto vm = microvm::run(image, options);
    if (!vm) {
        std::cerr << "microvm-example-run: " << vm.error().text() << "\n";
        return 125;
    }
    auto status = vm->follow(STDOUT_FILENO, STDERR_FILENO);
    // The VM has ended; its directory (logs, writable layer) is no longer needed.
    if (auto removed = vm->remove(); !removed) {
        std::cerr << "microvm-example-run: " << removed.error().text() << "\n";
    }
    if (!status) {
        std::cerr << "microvm-example-run: " << status.error().text() << "\n";
        return 125;
    }
    std::cout << "exit code: " << *status << std::endl;
    return *status;
}
